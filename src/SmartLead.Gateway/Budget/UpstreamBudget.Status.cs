using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Budget;

// TEMPORARY: IBudgetStatusSource and the two budget gauges over the current UpstreamBudget, so the status page and
// /metrics have a budget to show until the budget implements them itself. Drop this file, PermitLimits.Status.cs and
// the one TemporaryBudgetStatus.Register line in AddGatewayTelemetry then.
internal sealed partial class UpstreamBudget : IBudgetStatusSource
{
    public BudgetStatus GetStatus()
    {
        lock (_gate)
        {
            var now = Now;
            var options = _options;
            var defaults = new RateLimitOptions();
            var windows = options.EffectiveWindows;
            var limits = new List<BudgetLimitStatus>(windows.Count + 1)
            {
                new("bucket", options.TokenLimit, options.ReplenishmentPeriod, _limits.BucketAvailable(now),
                    options.TokenLimit == defaults.TokenLimit && options.TokensPerPeriod == defaults.TokensPerPeriod && options.ReplenishmentPeriod == defaults.ReplenishmentPeriod ? "default" : "setting"),
            };
            for (var i = 0; i < windows.Count; i++)
            {
                limits.Add(new(TemporaryBudgetStatus.WindowName(windows[i].Window), windows[i].PermitLimit, windows[i].Window,
                    _limits.WindowAvailable(i, now), options.Windows.Count == 0 ? "default" : "setting"));
            }

            var paused = now < _pausedUntil;
            return new BudgetStatus(
                options.Enabled,
                "Custom",
                "Memory",
                true,
                limits,
                _queue.Count,
                options.QueueLimit,
                _queue.First is { } head ? TimeSpan.FromTicks(now - head.Value.Enqueued) : TimeSpan.Zero,
                paused ? _time.GetUtcNow() + TimeSpan.FromTicks(_pausedUntil - now) : null,
                paused ? "smartlead" : null);
        }
    }
}

internal static class TemporaryBudgetStatus
{
    public static void Register(IServiceCollection services)
    {
        services.TryAddSingleton<IBudgetStatusSource>(sp => sp.GetService<UpstreamBudget>()!);
        services.AddHostedService<BudgetGauges>();
    }

    /// <summary>A window's label: its length as <c>1s</c>, <c>1m</c>, <c>1h</c>, … (bounded: windows come from settings).</summary>
    public static string WindowName(TimeSpan window) =>
        window.TotalHours >= 1 && window.TotalHours == Math.Floor(window.TotalHours) ? $"{window.TotalHours:0}h"
        : window.TotalMinutes >= 1 && window.TotalMinutes == Math.Floor(window.TotalMinutes) ? $"{window.TotalMinutes:0}m"
        : $"{window.TotalSeconds:0.###}s";

    private sealed class BudgetGauges(IServiceProvider services, GatewayMetrics metrics) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (services.GetService<UpstreamBudget>() is not { } budget)
            {
                return Task.CompletedTask;
            }

            metrics.Meter.CreateObservableGauge("smartlead_gateway.ratelimit.queue_length", () => budget.GetStatus().QueueLength, "{request}", "Requests waiting for a permit.");
            metrics.Meter.CreateObservableGauge("smartlead_gateway.ratelimit.permits_available",
                () => budget.GetStatus().Limits.Select(limit => new Measurement<int>(limit.Available, new KeyValuePair<string, object?>("limit", limit.Name))),
                "{permit}", "Permits each limit (the bucket, each window) could grant now.");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
