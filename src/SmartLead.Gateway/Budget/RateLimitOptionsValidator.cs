using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// Checks the whole <see cref="RateLimitOptions"/> and reports every problem at once, so ops fix a file in one go.
/// Upper bounds are sanity limits: they keep a typo from building a window log of millions of entries.
/// </summary>
internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    internal const int MaxPermitLimit = 1_000_000;
    internal const int MaxQueueLimit = 100_000;
    internal const int MaxExpectedReplicas = 1000;
    internal static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var errors = new List<string>();
        var section = RateLimitOptions.SectionName;

        if (!Enum.IsDefined(options.Plan))
        {
            errors.Add($"{section}:Plan must be Standard, Pro or Custom (was {options.Plan}).");
        }

        if (!Enum.IsDefined(options.Store))
        {
            errors.Add($"{section}:Store must be Memory or Redis (was {options.Store}).");
        }

        if (options.ExpectedReplicas is < 1 or > MaxExpectedReplicas)
        {
            errors.Add($"{section}:ExpectedReplicas must be between 1 and {MaxExpectedReplicas} (was {options.ExpectedReplicas}).");
        }

        if (options.TokenLimit is < 1 or > MaxPermitLimit)
        {
            errors.Add($"{section}:TokenLimit must be between 1 and {MaxPermitLimit} (was {options.TokenLimit}).");
        }

        if (options.TokensPerPeriod is < 1 or > MaxPermitLimit)
        {
            errors.Add($"{section}:TokensPerPeriod must be between 1 and {MaxPermitLimit} (was {options.TokensPerPeriod}).");
        }

        if (options.ReplenishmentPeriod is { } period && (period <= TimeSpan.Zero || period > MaxPeriod))
        {
            errors.Add($"{section}:ReplenishmentPeriod must be more than zero and at most {MaxPeriod} (was {options.ReplenishmentPeriod}).");
        }

        for (var i = 0; i < options.Windows.Count; i++)
        {
            var window = options.Windows[i];
            if (window is null)
            {
                errors.Add($"{section}:Windows:{i} is empty.");
                continue;
            }

            if (window.PermitLimit is < 1 or > MaxPermitLimit)
            {
                errors.Add($"{section}:Windows:{i}:PermitLimit must be between 1 and {MaxPermitLimit} (was {window.PermitLimit}).");
            }

            if (window.Window <= TimeSpan.Zero || window.Window > MaxPeriod)
            {
                errors.Add($"{section}:Windows:{i}:Window must be more than zero and at most {MaxPeriod} (was {window.Window}).");
            }
            else if (options.Windows.Take(i).Any(earlier => earlier?.Window == window.Window))
            {
                // A window of a given length replaces the plan's of that length, so two of one length would be ambiguous.
                errors.Add($"{section}:Windows:{i}:Window {window.Window} is listed twice; give each length one window.");
            }
        }

        if (options.QueueLimit is < 0 or > MaxQueueLimit)
        {
            errors.Add($"{section}:QueueLimit must be between 0 and {MaxQueueLimit} (was {options.QueueLimit}).");
        }

        if (options.MaxQueueWait < TimeSpan.Zero || options.MaxQueueWait > MaxPeriod)
        {
            errors.Add($"{section}:MaxQueueWait must be between zero and {MaxPeriod} (was {options.MaxQueueWait}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
