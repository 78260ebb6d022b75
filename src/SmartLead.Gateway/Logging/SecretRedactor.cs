using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Removes SmartLead keys from text on its way out of the process (log events, response headers, error messages).
/// Two nets, because either alone misses something: every key this process has loaded (the configured key and all
/// the ones rotated away), and any <c>api_key</c> query parameter in any spelling SmartLead could decode, which
/// catches the keys clients send. YARP and ASP.NET print full URLs, so this runs on everything.
/// </summary>
internal sealed partial class SecretRedactor
{
    public const string Mask = "***";

    // api_key, api%5Fkey, API_KEY, api_key[], api_key[0], api_key%5B%5D ... followed by '=' and the value.
    [GeneratedRegex(@"(?<name>api(?:_|%5f)key(?:\[[^\]=&\s]*\]|%5b[^=&\s]*)*=)(?<value>[^&\s""'<>#]*)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ApiKeyParameter();

    private ImmutableArray<string> _knownSecrets = [];

    /// <summary>Every secret value registered so far (kept after rotation: old keys stay secret).</summary>
    public ImmutableArray<string> KnownSecrets => _knownSecrets;

    /// <summary>Adds a value that must never appear in output. Values shorter than 4 characters are too common to scrub.</summary>
    public void Register(string secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 4)
        {
            return;
        }

        ImmutableInterlocked.Update(ref _knownSecrets, static (list, s) => list.Contains(s) ? list : list.Add(s), secret);
    }

    /// <summary>True when <paramref name="text"/> holds something <see cref="Redact"/> would change.</summary>
    public bool ContainsSecret(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.Contains("api", StringComparison.OrdinalIgnoreCase) && ApiKeyParameter().IsMatch(text))
        {
            return true;
        }

        foreach (var secret in _knownSecrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal) || ContainsEncoded(text, secret))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The text with every key value replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        if (!ContainsSecret(text))
        {
            return text;
        }

        var result = ApiKeyParameter().Replace(text, m => m.Groups["name"].Value + (m.Groups["value"].Length > 0 ? Mask : string.Empty));
        foreach (var secret in _knownSecrets)
        {
            result = result.Replace(secret, Mask, StringComparison.Ordinal);
            var encoded = Uri.EscapeDataString(secret);
            if (!ReferenceEquals(encoded, secret) && encoded != secret)
            {
                result = result.Replace(encoded, Mask, StringComparison.OrdinalIgnoreCase);
            }
        }

        return result;
    }

    private static bool ContainsEncoded(string text, string secret)
    {
        var encoded = Uri.EscapeDataString(secret);
        return encoded != secret && text.Contains(encoded, StringComparison.OrdinalIgnoreCase);
    }
}
