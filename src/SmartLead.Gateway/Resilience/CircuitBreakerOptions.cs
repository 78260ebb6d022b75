using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// When the gateway stops contacting a failing SmartLead for a while and answers 503 at once. Section
/// <c>CircuitBreaker</c>; the names are Polly's. Failures are 5xx answers, attempt timeouts and connection failures;
/// 429 and other 4xx are not.
/// </summary>
internal sealed class CircuitBreakerOptions
{
    public const string SectionName = "CircuitBreaker";

    /// <summary>Whether the breaker is in the pipeline at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Share of failed attempts within <see cref="SamplingDuration"/> that opens the circuit. Default 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed within <see cref="SamplingDuration"/> before the ratio counts. Default 10.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>Window over which the failure ratio is measured. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one probe is let through. Default 30 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks every <see cref="CircuitBreakerOptions"/> value against Polly's limits and reports all problems at once.</summary>
internal sealed class CircuitBreakerOptionsValidator : IValidateOptions<CircuitBreakerOptions>
{
    // Polly's own bounds; checking them here turns a pipeline-build failure into a readable start-up error.
    private static readonly TimeSpan MinDuration = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, CircuitBreakerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string s = CircuitBreakerOptions.SectionName;

        if (!(options.FailureRatio > 0 && options.FailureRatio <= 1))
        {
            errors.Add($"{s}:FailureRatio must be more than 0 and at most 1 (was {options.FailureRatio}).");
        }

        if (options.MinimumThroughput < 2)
        {
            errors.Add($"{s}:MinimumThroughput must be at least 2 (was {options.MinimumThroughput}).");
        }

        if (options.SamplingDuration < MinDuration || options.SamplingDuration > MaxDuration)
        {
            errors.Add($"{s}:SamplingDuration must be between {MinDuration} and {MaxDuration} (was {options.SamplingDuration}).");
        }

        if (options.BreakDuration < MinDuration || options.BreakDuration > MaxDuration)
        {
            errors.Add($"{s}:BreakDuration must be between {MinDuration} and {MaxDuration} (was {options.BreakDuration}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
