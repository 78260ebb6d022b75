using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Clients;

/// <summary>Checks every listed client and reports every problem at once.</summary>
internal sealed class ClientsOptionsValidator : IValidateOptions<ClientsOptions>
{
    internal const int MaxNameLength = 64;

    /// <summary>Keeps the <c>client</c> metric label bounded even if a file lists clients by the thousand.</summary>
    internal const int MaxClients = 1000;

    internal const int MaxWeight = 100;

    public ValidateOptionsResult Validate(string? name, ClientsOptions options)
    {
        var errors = new List<string>();
        var section = ClientsOptions.SectionName;
        if (options.Count > MaxClients)
        {
            errors.Add($"{section} lists {options.Count} clients; at most {MaxClients} are allowed.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Count; i++)
        {
            var client = options[i];
            if (client is null)
            {
                errors.Add($"{section}:{i} is empty.");
                continue;
            }

            if (!IsValidName(client.Name))
            {
                errors.Add($"{section}:{i}:Name must be 1–{MaxNameLength} characters of letters, digits, '-', '_' and '.' (was '{client.Name}').");
            }
            else if (!names.Add(client.Name!))
            {
                errors.Add($"{section}:{i}:Name '{client.Name}' is listed twice.");
            }

            // The hash itself is never echoed: it is not secret, but there is no reason to print it either.
            if (!IsValidHash(client.KeySha256))
            {
                errors.Add($"{section}:{i}:KeySha256 must be 64 hex digits, the SHA-256 of the client's key (print it with 'hash-client-key').");
            }
            else if (!hashes.Add(client.KeySha256!))
            {
                errors.Add($"{section}:{i}:KeySha256 is the same as another client's: each client needs its own key.");
            }

            if (client.Weight is < 1 or > MaxWeight)
            {
                errors.Add($"{section}:{i}:Weight must be between 1 and {MaxWeight} (was {client.Weight}).");
            }

            if (client.MaxShare is { } share && !(share > 0 && share <= 1))
            {
                errors.Add($"{section}:{i}:MaxShare must be more than 0 and at most 1 (was {share}).");
            }

            if (client.QueueLimit is < 0)
            {
                errors.Add($"{section}:{i}:QueueLimit must be 0 or more (was {client.QueueLimit}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidHash(string? hash) => hash is { Length: 64 } && hash.All(char.IsAsciiHexDigit);
}
