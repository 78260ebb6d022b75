using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The request's path exactly as the client sent it, and whether the gateway can forward it so. Kestrel removes dot
/// segments from <see cref="HttpRequest.Path"/> but keeps <c>%2F</c>, and rebuilding a URI from the decoded path would
/// send <c>%252F</c>: a path is therefore either refused or forwarded byte for byte, never rewritten.
/// </summary>
internal static class RequestTarget
{
    /// <summary>
    /// The path part of the request target as received (no query): origin-form as it is, absolute-form from the
    /// slash after the authority. Null when the server does not report the raw target (in-memory test servers).
    /// </summary>
    public static string? RawPath(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }

        if (target[0] != '/')
        {
            // Absolute-form (GET http://host/api/... HTTP/1.1): the path starts at the first slash after the authority.
            var scheme = target.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : target.IndexOf('/', scheme + 3);
            if (slash < 0)
            {
                return null;
            }

            target = target[slash..];
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? target : target[..query];
    }

    /// <summary>
    /// Why <paramref name="rawPath"/> cannot go upstream as sent, or null when it can: a dot segment (<c>.</c>,
    /// <c>..</c>, also escaped as <c>%2e</c>), an escaped slash or backslash (<c>%2f</c>, <c>%5c</c>), a backslash,
    /// a semicolon, a NUL (<c>%00</c>) or a <c>#</c>. Each is read one way by one server and another way by the next
    /// (a path that climbs out of <c>/api/</c> behind the gateway's back); no SmartLead endpoint needs any of them.
    /// </summary>
    public static string? PathProblem(string rawPath)
    {
        ArgumentNullException.ThrowIfNull(rawPath);
        foreach (var c in rawPath)
        {
            switch (c)
            {
                case '\\':
                    return "a backslash";
                case ';':
                    return "a semicolon";
                case '#':
                    return "a '#'";
                case '\0':
                    return "a NUL character";
            }
        }

        if (rawPath.Contains("%2f", StringComparison.OrdinalIgnoreCase))
        {
            return "an escaped slash (%2F)";
        }

        if (rawPath.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return "an escaped backslash (%5C)";
        }

        if (rawPath.Contains("%00", StringComparison.Ordinal))
        {
            return "an escaped NUL (%00)";
        }

        // Segment by segment, without splitting or decoding into new strings: this runs on every request.
        foreach (var range in rawPath.AsSpan().Split('/'))
        {
            if (IsDotSegment(rawPath.AsSpan()[range]))
            {
                return "a dot segment";
            }
        }

        return null;
    }

    /// <summary>
    /// Why the headers cannot be sent on as they are, or null when they can. HTTP allows only visible ASCII, space
    /// and tab in a header value, and a token as a name; Kestrel accepts UTF-8 values, which HttpClient refuses
    /// (throwing before anything is sent). The header's value is never named: it may be a secret.
    /// </summary>
    public static (string Problem, string? Header)? HeaderProblem(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var (name, values) in headers)
        {
            // HTTP/2 and HTTP/3 pseudo-headers (":authority") are the server's, never forwarded as headers.
            if (name.StartsWith(':'))
            {
                continue;
            }

            if (!IsToken(name))
            {
                return ("a header name that is not a valid HTTP token", null);
            }

            foreach (var value in values)
            {
                if (value is not null && !IsFieldValue(value))
                {
                    return ($"the value of header {name} holds characters other than visible ASCII, space and tab", name);
                }
            }
        }

        return null;
    }

    /// <summary>"." or "..", each dot raw or escaped as <c>%2e</c> in either case.</summary>
    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.')
            {
                segment = segment[1..];
            }
            else if (segment.StartsWith("%2e", StringComparison.OrdinalIgnoreCase))
            {
                segment = segment[3..];
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots is 1 or 2;
    }

    // RFC 9110 tchar, and field-value characters as the gateway forwards them: visible ASCII, space and tab.
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> FieldValueChars =
        SearchValues.Create("\t" + string.Concat(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c)));

    private static bool IsToken(string name) => name.Length > 0 && !name.AsSpan().ContainsAnyExcept(TokenChars);

    private static bool IsFieldValue(string value) => !value.AsSpan().ContainsAnyExcept(FieldValueChars);
}
