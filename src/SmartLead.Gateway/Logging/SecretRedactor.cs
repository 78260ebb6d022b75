using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Removes SmartLead keys from text on its way out of the process (log events, response headers, error messages).
/// Two nets, because either alone misses something: every key this process has loaded (the configured key and all
/// the ones rotated away, compared without regard to case so percent-escapes in either case are caught), and any <c>api_key</c> query parameter in any spelling SmartLead could decode, which
/// catches the keys clients send. YARP and ASP.NET print full URLs, so this runs on everything.
/// </summary>
internal sealed partial class SecretRedactor
{
    public const string Mask = "***";

    // Any name=value pair; whether the name is a key is decided by ApiKeyQuery, the same rule that strips client
    // keys from forwarded URLs, so every spelling stripped there (%61pi_key, api_key.x, api%255Fkey ...) is masked here.
    [GeneratedRegex(@"(?<name>[^?&=\s""'<>#;,]+)=(?<value>[^&\s""'<>#]*)", RegexOptions.CultureInvariant)]
    private static partial Regex QueryParameter();

    // Every form a registered key can take in output (as is, percent-encoded), prepared once at registration:
    // these are checked against every log string and every response body, so nothing is encoded per call.
    private Forms _forms = Forms.Empty;

    /// <summary>The registered keys in every form, as UTF-8 bytes, for scanning response bodies.</summary>
    public IReadOnlyList<byte[]> Utf8Forms => Volatile.Read(ref _forms).Utf8;

    /// <summary>Adds a value that must never appear in output. Values shorter than 4 characters are too common to scrub.</summary>
    public void Register(string secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 4)
        {
            return;
        }

        ImmutableInterlocked.Update(ref _forms, static (forms, s) => forms.With(s), secret);
    }

    /// <summary>The forms <paramref name="secret"/> can take in output: as is and percent-encoded.</summary>
    public static IEnumerable<string> FormsOf(string secret)
    {
        yield return secret;
        var encoded = Uri.EscapeDataString(secret);
        if (encoded != secret)
        {
            yield return encoded;
        }
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

        foreach (var form in Volatile.Read(ref _forms).Text)
        {
            if (text.Contains(form, StringComparison.OrdinalIgnoreCase))
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
        foreach (var form in Volatile.Read(ref _forms).Text)
        {
            result = result.Replace(form, Mask, StringComparison.OrdinalIgnoreCase);
        }

        return result;
    }

    // Cheap test first: most log text has no '=' at all, and a key parameter's name reads "key" or is percent-encoded.
    private static bool MayHoldKeyParameter(string text) =>
        text.Contains('=', StringComparison.Ordinal)
        && (text.Contains("key", StringComparison.OrdinalIgnoreCase) || text.Contains('%', StringComparison.Ordinal));

    private static bool IsKeyParameter(Match match) =>
        match.Groups["value"].Length > 0 && Credentials.ApiKeyQuery.IsApiKeySegment(match.Groups["name"].Value + "=");

    /// <summary>One immutable set of forms, swapped whole on registration.</summary>
    private sealed class Forms(ImmutableArray<string> text, byte[][] utf8)
    {
        public static readonly Forms Empty = new([], []);

        public ImmutableArray<string> Text { get; } = text;

        public byte[][] Utf8 { get; } = utf8;

        public Forms With(string secret)
        {
            var added = FormsOf(secret).Where(f => !Text.Contains(f, StringComparer.OrdinalIgnoreCase)).ToArray();
            return added.Length == 0
                ? this
                : new Forms(Text.AddRange(added), [.. Utf8, .. added.Select(System.Text.Encoding.UTF8.GetBytes)]);
        }
    }
}
