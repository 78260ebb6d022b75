using System.Text;

namespace SmartLead.Sandbox;

/// <summary>
/// One request as the sandbox received it, for tests that count upstream calls or compare what a proxy sent.
/// <see cref="Query"/> is the raw query string including <c>api_key</c>: this is a test double, and seeing the key
/// a proxy injected is the point.
/// </summary>
/// <param name="ReceivedAt">When it arrived, by the sandbox's <see cref="TimeProvider"/>.</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path without query, e.g. <c>/api/v1/campaigns/1001/leads</c>.</param>
/// <param name="Query">Raw query string with its leading <c>?</c>, or empty.</param>
/// <param name="ApiKey">The first <c>api_key</c> value, or null when there was none.</param>
/// <param name="Headers">Request headers, names case-insensitive, repeated values joined with <c>", "</c>.</param>
/// <param name="Body">The request body bytes (empty when there was none).</param>
/// <param name="StatusCode">The status the sandbox answered.</param>
public sealed record SandboxRequest(
    DateTimeOffset ReceivedAt,
    string Method,
    string Path,
    string Query,
    string? ApiKey,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body,
    int StatusCode)
{
    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);
}
