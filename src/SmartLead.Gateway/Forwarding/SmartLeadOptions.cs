using System.ComponentModel.DataAnnotations;

namespace SmartLead.Gateway.Forwarding;

/// <summary>Where SmartLead is and how the gateway authenticates to it. Section <c>SmartLead</c>.</summary>
internal sealed class SmartLeadOptions
{
    public const string SectionName = "SmartLead";

    /// <summary>Upstream origin; <c>/api/**</c> is forwarded unchanged below it. Default <c>https://server.smartlead.ai</c>.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("https://server.smartlead.ai");

    /// <summary>The API key, plain (usually from the environment variable <c>SmartLead__ApiKey</c>). Default none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Path of a file holding the key (trimmed); wins over <see cref="ApiKey"/>. Re-read when it changes,
    /// including when a new file is renamed over it. Default none.
    /// </summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>One upstream attempt's timeout. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
