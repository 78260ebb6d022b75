using System.Collections.Immutable;
using System.Text.RegularExpressions;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Removes SmartLead keys from text on its way out of the process (log events, error messages). The second line of
/// defence: the key is put on the request only by the innermost handler, after every framework log line. Two nets:
/// every key this process has loaded (the configured key and all the ones rotated away), found in every form
/// <see cref="KeyPatterns"/> covers (any case, percent-encoded, JSON-escaped, fragments), and any key parameter a
/// server could read (<see cref="ApiKeyQuery.IsKeyName"/>, the same rule that strips client keys from forwarded
/// queries), which catches the keys clients send.
/// </summary>
internal sealed partial class SecretRedactor
{
    public const string Mask = "***";

    // Any name=value pair; whether the name is a key is decided by ApiKeyQuery. A value stops at a backslash, so a
    // JSON-escaped separator (\u0026api_key=) starts the next pair.
    [GeneratedRegex(@"(?<name>[^?&=\s""'<>#;,]+)=(?<value>[^&\s""'<>#;\\]*)", RegexOptions.CultureInvariant)]
    private static partial Regex QueryParameter();

    // Registered keys and their automaton, swapped whole on registration: read by every log event, built rarely.
    private Registered _registered = new([], KeyPatterns.Empty);

    /// <summary>Every key this process has loaded, in every covered form.</summary>
    public KeyPatterns Patterns => Volatile.Read(ref _registered).Patterns;

    /// <summary>Adds a value that must never appear in output. Values shorter than 4 characters are too common to scrub.</summary>
    public void Register(string secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < KeyPatterns.MinimumLength)
        {
            return;
        }

        ImmutableInterlocked.Update(ref _registered, static (registered, s) => registered.With(s), secret);
    }

    /// <summary>True when <paramref name="text"/> holds something <see cref="Redact"/> would change.</summary>
    public bool ContainsSecret(string? text) =>
        !string.IsNullOrEmpty(text) && (HoldsKeyParameter(text) || Patterns.IsFoundIn(text));

    /// <summary>The text with every key parameter's value replaced by <see cref="Mask"/> and every key overwritten.</summary>
    public string Redact(string text) => Patterns.Scrub(RedactKeyParameters(text));

    /// <summary>
    /// Key parameters (<c>api_key=…</c> in any spelling) with their values replaced by <see cref="Mask"/>. Needs no
    /// registered key, so the body logger applies it to each decoded JSON value.
    /// </summary>
    public static string RedactKeyParameters(string text) =>
        MayHoldKeyParameter(text)
            ? QueryParameter().Replace(text, m => IsKeyParameter(m) ? m.Groups["name"].Value + "=" + Mask : m.Value)
            : text;

    private static bool HoldsKeyParameter(string text)
    {
        if (!MayHoldKeyParameter(text))
        {
            return false;
        }

        foreach (Match match in QueryParameter().Matches(text))
        {
            if (IsKeyParameter(match))
            {
                return true;
            }
        }

        return false;
    }

    // Cheap test first: most log text has no '=' at all; a key parameter's name reads "key" or is encoded.
    private static bool MayHoldKeyParameter(string text) =>
        text.Contains('=', StringComparison.Ordinal)
        && (text.Contains("key", StringComparison.OrdinalIgnoreCase) || text.Contains('%', StringComparison.Ordinal)
            || text.Contains('\\', StringComparison.Ordinal) || !System.Text.Ascii.IsValid(text));

    private static bool IsKeyParameter(Match match) =>
        match.Groups["value"].Length > 0 && match.Groups["value"].Value != Mask && ApiKeyQuery.IsKeyName(Unescaped(match.Groups["name"].Value));

    /// <summary>
    /// A name as a JSON reader would see it: text logged inside JSON carries <c>\u0026api_key=</c>, where the
    /// escape stands for the separator before the name.
    /// </summary>
    private static string Unescaped(string name)
    {
        if (!name.Contains('\\', StringComparison.Ordinal))
        {
            return name;
        }

        var decoded = new string([.. KeyScanner.Decode(System.Text.Encoding.UTF8.GetBytes(name)).Select(u => (char)u)]);
        var cut = decoded.LastIndexOfAny(['&', '?', ';', '#']);
        return cut >= 0 ? decoded[(cut + 1)..] : decoded;
    }

    private sealed class Registered(ImmutableArray<string> keys, KeyPatterns patterns)
    {
        public KeyPatterns Patterns { get; } = patterns;

        public Registered With(string secret) =>
            keys.Contains(secret) ? this : new Registered(keys.Add(secret), KeyPatterns.Build(keys.Add(secret), []));
    }
}
