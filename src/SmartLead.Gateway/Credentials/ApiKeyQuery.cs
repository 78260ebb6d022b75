using System.Globalization;
using System.Text;

namespace SmartLead.Gateway.Credentials;

/// <summary>
/// The one reader of <c>api_key</c> spellings. Stripping client keys from forwarded queries, finding the values a
/// client sent (to scrub them from the answer) and masking key parameters in logs all ask it, so they cannot drift.
/// Works on the raw query text, segment by segment, so every other parameter reaches SmartLead byte for byte as the
/// client wrote it (re-encoding through a parsed collection would change <c>+</c>, <c>%20</c> and ordering).
/// </summary>
internal static class ApiKeyQuery
{
    public const string ParameterName = "api_key";

    /// <summary>
    /// Shorter values a client sends as a key are stripped but not scrubbed from the answer: no real key is that
    /// short, and masking <c>true</c> or <c>data</c> everywhere would only break the client's own answer.
    /// </summary>
    public const int MinimumClientValueLength = 8;

    // Where some common parser ends a parameter: '&' everywhere, ';' in older servlet/CGI parsers, '#' where the
    // query is cut into a fragment. A segment is dropped when any parser would read a key out of any part of it.
    private static readonly char[] LooseSeparators = ['&', ';', '#'];

    /// <summary>
    /// The query (with its leading <c>?</c>, or empty) without any parameter a server could read as a key, and with
    /// a raw <c>#</c> escaped, so no part of it is lost to a fragment (nor the key put before it).
    /// </summary>
    public static string Strip(string? rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(rawQuery.Length);
        var query = rawQuery.AsSpan(rawQuery[0] == '?' ? 1 : 0);
        foreach (var range in query.Split('&'))
        {
            var segment = query[range];
            if (segment.IsEmpty || HoldsKey(segment))
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&');
            foreach (var c in segment)
            {
                if (c == '#')
                {
                    builder.Append("%23");
                }
                else
                {
                    builder.Append(c);
                }
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// <paramref name="strippedQuery"/> (from <see cref="Strip"/>) with <paramref name="apiKey"/> first: ahead of
    /// anything a client can pad, so a server that quotes a truncated URL cuts the client's text, not the key.
    /// </summary>
    public static string WithKeyFirst(string? strippedQuery, string apiKey)
    {
        var rest = string.IsNullOrEmpty(strippedQuery) ? string.Empty : strippedQuery.TrimStart('?');
        var key = "?" + ParameterName + "=" + Uri.EscapeDataString(apiKey);
        return rest.Length == 0 ? key : key + "&" + rest;
    }

    /// <summary>The values (decoded) a client sent under any key spelling: the answer must not echo them either.</summary>
    /// <remarks>None (the usual case) is the shared empty list: every request keeps this for its whole life.</remarks>
    public static IReadOnlyList<string> ClientValues(string? rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery) || !MayHoldKey(rawQuery))
        {
            return [];
        }

        var values = new List<string>();

        var query = rawQuery.AsSpan(rawQuery[0] == '?' ? 1 : 0);
        foreach (var range in query.SplitAny(LooseSeparators))
        {
            var segment = query[range];
            var equals = segment.IndexOf('=');
            if (equals >= 0 && IsKeyName(segment[..equals]))
            {
                var value = Decode(segment[(equals + 1)..].ToString());
                if (value.Length >= MinimumClientValueLength)
                {
                    values.Add(value);
                }
            }
        }

        return values.Count == 0 ? [] : values;
    }

    /// <summary>True when some parser could read this raw <c>&amp;</c>-separated segment as carrying <c>api_key</c>.</summary>
    internal static bool HoldsKey(ReadOnlySpan<char> segment)
    {
        if (!MayHoldKey(segment))
        {
            return false;
        }

        foreach (var range in segment.SplitAny(LooseSeparators))
        {
            var part = segment[range];
            var equals = part.IndexOf('=');
            if (IsKeyName(equals >= 0 ? part[..equals] : part))
            {
                return true;
            }
        }

        // A parser that decodes the whole query before splitting it would find "%26api_key%3D..." too.
        if (segment.Contains('%'))
        {
            var decoded = Decode(segment.ToString());
            if (decoded.Length != segment.Length && HoldsKey(decoded))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Cheap test first, taken by almost every query: a name that reads as <c>api_key</c> holds a <c>k</c>, an
    /// escape, or a non-ASCII look-alike letter.
    /// </summary>
    private static bool MayHoldKey(ReadOnlySpan<char> query) =>
        query.IndexOfAny('k', 'K', '%') >= 0 || !Ascii.IsValid(query);

    /// <summary>True when the name of this one <c>name=value</c> segment reads as <c>api_key</c>.</summary>
    internal static bool IsApiKeySegment(ReadOnlySpan<char> segment)
    {
        var equals = segment.IndexOf('=');
        return IsKeyName(equals >= 0 ? segment[..equals] : segment);
    }

    /// <summary>
    /// True when a server could read this raw parameter name as <c>api_key</c>: the name decoded (percent-escapes,
    /// <c>+</c>, repeated so a doubly encoded name is caught), look-alike letters read as ASCII (full-width, the
    /// Kelvin sign, dotless i), stripped of control and invisible characters, leading <c>?</c> and surrounding spaces, with any
    /// bracket suffix (<c>api_key[]</c>) or dotted suffix ignored, <c>.</c> and space read as <c>_</c> (PHP's rule),
    /// and compared without regard to case. Dropping a
    /// parameter no server would read as a key costs nothing; forwarding one that some server reads costs the budget.
    /// </summary>
    internal static bool IsKeyName(ReadOnlySpan<char> rawName)
    {
        if (rawName.IsEmpty)
        {
            return false;
        }

        var name = Decode(rawName.ToString());
        var visible = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var category = char.GetUnicodeCategory(c);
            if (!char.IsControl(c) && category is not (UnicodeCategory.Format or UnicodeCategory.NonSpacingMark))
            {
                visible.Append(LookAlike(c));
            }
        }

        var trimmed = visible.ToString().AsSpan().Trim().TrimStart('?').Trim();
        var bracket = trimmed.IndexOf('[');
        var withoutBracket = (bracket >= 0 ? trimmed[..bracket] : trimmed).Trim();
        var dot = withoutBracket.IndexOf('.');
        return NamesKey(withoutBracket) || (dot >= 0 && NamesKey(withoutBracket[..dot].Trim()));
    }

    /// <summary>
    /// The ASCII letter a character passes for: full-width forms (what NFKC would give; the gateway runs with
    /// invariant globalization, so it is written out here) and the few characters whose case mapping lands in ASCII
    /// in common runtimes (Kelvin sign, dotless and dotted I, long s).
    /// </summary>
    private static char LookAlike(char c) => c switch
    {
        >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
        '\u212A' => 'k',
        '\u0131' or '\u0130' => 'i',
        '\u017F' => 's',
        _ => c,
    };

    private static bool NamesKey(ReadOnlySpan<char> name)
    {
        if (name.Length != ParameterName.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i] is '.' or ' ' ? '_' : name[i];
            var expected = ParameterName[i];
            if (char.ToLowerInvariant(c) != expected)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Percent-escapes and <c>+</c> decoded, up to three rounds (a doubly encoded value decodes too).</summary>
    private static string Decode(string text)
    {
        for (var round = 0; round < 3; round++)
        {
            var decoded = Uri.UnescapeDataString(text.Replace('+', ' '));
            if (decoded == text)
            {
                break;
            }

            text = decoded;
        }

        return text;
    }
}
