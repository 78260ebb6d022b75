using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Budget;

internal static class BudgetServiceCollectionExtensions
{
    /// <summary>
    /// Registers the upstream budget: <see cref="RateLimitOptions"/> (section <c>RateLimit</c>, validated at start,
    /// followed on reload), the ledger chosen by <c>RateLimit:Store</c> at start, and the singleton
    /// <see cref="UpstreamBudget"/>, also as <see cref="IBudgetStatusSource"/>. Each forwarder handler chain gets a
    /// fresh <see cref="BudgetHandler"/> around the shared budget.
    /// </summary>
    public static IServiceCollection AddUpstreamBudget(this IServiceCollection services)
    {
        services.AddLiveOptions<RateLimitOptions>(RateLimitOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddGatewayMetrics();
        services.TryAddSingleton(CreateBudget);
        services.TryAddSingleton<IBudgetStatusSource>(sp => sp.GetRequiredService<UpstreamBudget>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpstreamHandlerStage, BudgetStage>());
        return services;
    }

    private static UpstreamBudget CreateBudget(IServiceProvider services)
    {
        var options = services.GetRequiredService<LiveOptions<RateLimitOptions>>();
        var time = services.GetRequiredService<TimeProvider>();
        var current = options.Current;
        var limits = BudgetPlans.Resolve(current);
        IPermitLedger ledger = new MemoryPermitLedger(limits, time);
        return new UpstreamBudget(
                current,
                ledger,
                time,
                services.GetRequiredService<ILogger<UpstreamBudget>>(),
                services.GetRequiredService<GatewayMetrics>())
            .Follow(options);
    }
}
