using SmartLead.Sandbox;

namespace SmartLead.Gateway.DevelopmentSandbox;

/// <summary>
/// Whether the gateway hosts the SmartLead sandbox in-process, and where. Section <c>Sandbox</c>, shared with
/// <see cref="SandboxOptions"/> (key, limits, faults), so one block in appsettings.Development.json says it all.
/// Read only in the Development environment.
/// </summary>
internal sealed class DevelopmentSandboxOptions
{
    public const string SectionName = SandboxOptions.SectionName;

    /// <summary>Start the sandbox with the gateway. Default false; appsettings.Development.json turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the sandbox listens (http, loopback only). Default <c>http://127.0.0.1:5081</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5081";
}
