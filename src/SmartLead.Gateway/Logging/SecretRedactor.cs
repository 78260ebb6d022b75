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

    // Any name=value pair; whether the name is a key is decided by ApiKeyQuery, the same rule that strips client
    // keys from forwarded URLs, so every spelling stripped there (%61pi_key, api_key.x, api%255Fkey ...) is masked here.
    [GeneratedRegex(@"(?<name>[^?&=\s""'<>#;,]+)=(?<value>[^&\s""'<>#]*)", RegexOptions.CultureInvariant)]
    private static partial Regex QueryParameter();

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

        if (MayHoldKeyParameter(text))
        {
            foreach (Match match in QueryParameter().Matches(text))
            {
                if (IsKeyParameter(match))
                {
                    return true;
                }
            }
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

        var result = MayHoldKeyParameter(text)
            ? QueryParameter().Replace(text, m => IsKeyParameter(m) ? m.Groups["name"].Value + "=" + Mask : m.Value)
            : text;
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

    // Cheap test first: most log text has no '=' at all, and a key parameter's name reads "key" or is percent-encoded.
    private static bool MayHoldKeyParameter(string text) =>
        text.Contains('=', StringComparison.Ordinal)
        && (text.Contains("key", StringComparison.OrdinalIgnoreCase) || text.Contains('%', StringComparison.Ordinal));

    private static bool IsKeyParameter(Match match) =>
        match.Groups["value"].Length > 0 && Credentials.ApiKeyQuery.IsApiKeySegment(match.Groups["name"].Value + "=");

    private static bool ContainsEncoded(string text, string secret)
    {
        var encoded = Uri.EscapeDataString(secret);
        return encoded != secret && text.Contains(encoded, StringComparison.OrdinalIgnoreCase);
    }
}
