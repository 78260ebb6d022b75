using System.Text;

namespace SmartLead.Gateway.Credentials;

/// <summary>
/// Rewrites a raw query string so it carries exactly one <c>api_key</c>: the gateway's. Works on the raw text,
/// segment by segment, so every other parameter reaches SmartLead byte for byte as the client wrote it
/// (re-encoding through a parsed collection would change <c>+</c>, <c>%20</c> and ordering).
/// </summary>
internal static class ApiKeyQuery
{
    private const string ParameterName = "api_key";

    /// <summary>
    /// The query (with its leading <c>?</c>) without any client-supplied key and with <paramref name="apiKey"/> appended.
    /// </summary>
    public static string Rewrite(string? rawQuery, string apiKey)
    {
        var builder = new StringBuilder(capacity: (rawQuery?.Length ?? 0) + apiKey.Length + 10);
        builder.Append('?');
        if (!string.IsNullOrEmpty(rawQuery))
        {
            var query = rawQuery.AsSpan(rawQuery[0] == '?' ? 1 : 0);
            foreach (var range in query.Split('&'))
            {
                var segment = query[range];
                if (segment.IsEmpty || IsApiKeySegment(segment))
                {
                    continue;
                }

                builder.Append(segment).Append('&');
            }
        }

        builder.Append(ParameterName).Append('=').Append(Uri.EscapeDataString(apiKey));
        return builder.ToString();
    }

    /// <summary>
    /// True when SmartLead's server could read this <c>name=value</c> segment as <c>api_key</c>: the name decoded
    /// (percent-escapes, <c>+</c>), trimmed, compared without regard to case, with any bracket suffix
    /// (<c>api_key[]</c>, <c>api_key[0]</c>) or dotted suffix ignored. Decoding is repeated so a doubly encoded name
    /// is caught too; dropping a parameter no server would read as a key costs nothing.
    /// </summary>
    internal static bool IsApiKeySegment(ReadOnlySpan<char> segment)
    {
        var equals = segment.IndexOf('=');
        var rawName = equals >= 0 ? segment[..equals] : segment;
        if (rawName.IsEmpty)
        {
            return false;
        }

        var name = rawName.ToString();
        for (var round = 0; round < 3; round++)
        {
            var decoded = Uri.UnescapeDataString(name.Replace('+', ' '));
            if (decoded == name)
            {
                break;
            }

            name = decoded;
        }

        var trimmed = name.AsSpan().Trim();
        var cut = trimmed.IndexOfAny('[', '.');
        var baseName = (cut >= 0 ? trimmed[..cut] : trimmed).Trim();
        return baseName.Equals(ParameterName, StringComparison.OrdinalIgnoreCase);
    }
}
