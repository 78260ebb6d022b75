using System.Diagnostics.CodeAnalysis;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// One replay-safe route, <c>[METHOD ]/segment/{param}/...</c>. Hand-written rather than ASP.NET Core's
/// <c>TemplateMatcher</c> because it must match the outgoing <see cref="HttpRequestMessage"/> path, where no routing
/// runs, and the grammar needed is a handful of literal or single-segment parts.
/// </summary>
internal sealed class RouteTemplate
{
    private readonly string?[] _segments;

    private RouteTemplate(HttpMethod? method, string?[] segments)
    {
        Method = method;
        _segments = segments;
    }

    /// <summary>The method the route is for; null means POST and PATCH.</summary>
    public HttpMethod? Method { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out RouteTemplate? template, [NotNullWhen(false)] out string? error)
    {
        template = null;
        var trimmed = text?.Trim() ?? string.Empty;
        HttpMethod? method = null;
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0)
        {
            method = HttpMethod.Parse(trimmed.AsSpan(0, space));
            trimmed = trimmed[(space + 1)..].Trim();
        }

        if (!trimmed.StartsWith('/'))
        {
            error = "expected an optional method and a path starting with '/', e.g. 'POST /api/v1/campaigns/{id}/leads'.";
            return false;
        }

        var parts = trimmed.Trim('/').Split('/');
        var segments = new string?[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0)
            {
                error = "empty path segment.";
                return false;
            }

            var isParameter = part.StartsWith('{') && part.EndsWith('}') && part.Length > 2;
            if (!isParameter && (part.Contains('{', StringComparison.Ordinal) || part.Contains('}', StringComparison.Ordinal)))
            {
                error = $"segment '{part}' must be a literal or a whole '{{name}}' parameter.";
                return false;
            }

            segments[i] = isParameter ? null : part;
        }

        template = new RouteTemplate(method, segments);
        error = null;
        return true;
    }

    public bool Matches(HttpMethod method, string path)
    {
        if (Method is null ? method != HttpMethod.Post && method != HttpMethod.Patch : method != Method)
        {
            return false;
        }

        var span = path.AsSpan();
        if (span.Length > 1 && span[^1] == '/')
        {
            span = span[..^1];
        }

        if (span.Length == 0 || span[0] != '/')
        {
            return false;
        }

        span = span[1..];
        foreach (var expected in _segments)
        {
            if (span.IsEmpty)
            {
                return false;
            }

            var slash = span.IndexOf('/');
            var segment = slash < 0 ? span : span[..slash];
            if (segment.IsEmpty || (expected is not null && !segment.Equals(expected, StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }

            span = slash < 0 ? [] : span[(slash + 1)..];
        }

        return span.IsEmpty;
    }
}
