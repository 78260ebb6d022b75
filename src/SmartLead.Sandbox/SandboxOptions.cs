namespace SmartLead.Sandbox;

/// <summary>
/// How the in-memory SmartLead stand-in behaves. Section <c>Sandbox</c>. Every default imitates SmartLead's
/// Standard tier with no faults, so a sandbox started without settings behaves like a healthy SmartLead account.
/// </summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>The one key the sandbox accepts in the <c>api_key</c> query parameter. Default <c>sandbox-dev-key</c>.</summary>
    public string ApiKey { get; set; } = "sandbox-dev-key";

    /// <summary>Whether the per-key limits below are enforced at all. Default true.</summary>
    public bool RateLimitEnabled { get; set; } = true;

    /// <summary>Requests per key in any one-second window; 0 turns this window off. Default 10 (Standard burst).</summary>
    public int PerSecond { get; set; } = 10;

    /// <summary>Requests per key in any one-minute window; 0 turns this window off. Default 60 (Standard).</summary>
    public int PerMinute { get; set; } = 60;

    /// <summary>Requests per key in any one-hour window; 0 turns this window off. Default 1000 (Standard).</summary>
    public int PerHour { get; set; } = 1000;

    /// <summary>Share (0..1) of authenticated, admitted requests answered 500. Default 0.</summary>
    public double FaultRate500 { get; set; }

    /// <summary>Share (0..1) of authenticated, admitted requests answered 503. Default 0.</summary>
    public double FaultRate503 { get; set; }

    /// <summary>Delay added before every answer, to imitate a distant upstream. Default none.</summary>
    public TimeSpan AddedLatency { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Seed for the fault draw, so a test or a soak run sees the same sequence of faults every time.
    /// Default none (a different sequence per run).
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Whether a couple of demo campaigns and a lead list exist from the start. Default true.</summary>
    public bool SeedData { get; set; } = true;
}
