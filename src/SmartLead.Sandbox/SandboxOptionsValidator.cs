using Microsoft.Extensions.Options;

namespace SmartLead.Sandbox;

/// <summary>Collects every problem at once, so a bad settings file is fixed in one pass rather than one error per start.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            errors.Add("Sandbox:ApiKey must not be empty.");
        }

        foreach (var (key, value) in new[]
                 {
                     ("PerSecond", options.PerSecond), ("PerMinute", options.PerMinute), ("PerHour", options.PerHour),
                 })
        {
            if (value < 0)
            {
                errors.Add($"Sandbox:{key} must be 0 (off) or more, was {value}.");
            }
        }

        foreach (var (key, value) in new[] { ("FaultRate500", options.FaultRate500), ("FaultRate503", options.FaultRate503) })
        {
            if (double.IsNaN(value) || value < 0 || value > 1)
            {
                errors.Add($"Sandbox:{key} must be between 0 and 1, was {value}.");
            }
        }

        if (options.FaultRate500 + options.FaultRate503 > 1)
        {
            errors.Add("Sandbox:FaultRate500 and Sandbox:FaultRate503 together must not exceed 1.");
        }

        if (options.AddedLatency < TimeSpan.Zero || options.AddedLatency > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Sandbox:AddedLatency must be between 00:00:00 and 00:05:00, was {options.AddedLatency}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
