using System.ComponentModel.DataAnnotations;

namespace SmartLead.Gateway.Logging;

/// <summary>Which bodies the request log carries. Section <c>RequestLogging</c>.</summary>
internal sealed class RequestLoggingOptions
{
    public const string SectionName = "RequestLogging";

    /// <summary>
    /// <c>None</c> (default), <c>Errors</c> (bodies of 4xx/5xx exchanges only) or <c>All</c>. JSON bodies are logged with
    /// secret fields and every email address masked; other bodies only as length and content type.
    /// </summary>
    public BodyLogging Bodies { get; set; } = BodyLogging.None;

    /// <summary>Each logged body is cut at this many bytes. Default 4096.</summary>
    [Range(64, 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 4096;

    /// <summary>
    /// JSON property names whose values are replaced by <c>***</c>, compared without regard to case, on top of the
    /// built-in list (password, token, access_token, refresh_token, api_key, smtp_password, imap_password).
    /// </summary>
    public List<string> MaskedFields { get; set; } = [];
}

internal enum BodyLogging
{
    None,
    Errors,
    All,
}
