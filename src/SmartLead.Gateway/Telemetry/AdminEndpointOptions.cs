namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Where the gateway's own monitoring endpoints (<c>/metrics</c>, <c>/status</c>, <c>/status.json</c>) are served.
/// Section <c>Gateway</c>. Read at start only: listeners cannot move while the gateway runs.
/// </summary>
internal sealed class AdminEndpointOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Optional separate listener(s) for the monitoring endpoints, as <c>http://host:port</c>, several separated by
    /// <c>;</c> (like <c>ASPNETCORE_URLS</c>), each with a port of its own. When set, the monitoring endpoints answer
    /// only there (404 on the main port) and the admin port serves nothing else, so <c>/api</c> and the
    /// monitoring can be exposed to different networks. Default: none (everything on the main port).
    /// </summary>
    public string? AdminUrls { get; set; }

    /// <summary>The admin listeners' URLs; empty when <see cref="AdminUrls"/> is not set.</summary>
    public IReadOnlyList<string> Urls => (AdminUrls ?? string.Empty)
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The admin listeners' ports; <see cref="AdminEndpointOptionsValidator"/> guarantees each URL has one.</summary>
    public IReadOnlySet<int> Ports => Urls.Select(url => BindingAddress.Parse(url).Port).ToHashSet();
}
