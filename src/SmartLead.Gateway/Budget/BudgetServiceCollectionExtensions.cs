using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Budget;

internal static class BudgetServiceCollectionExtensions
{
    /// <summary>
    /// Registers the upstream budget: <see cref="RateLimitOptions"/> (section <c>RateLimit</c>, validated at start,
    /// followed on reload) and the singleton <see cref="UpstreamBudget"/>. The forwarder puts a fresh
    /// <see cref="BudgetHandler"/> (<see cref="UpstreamBudget.CreateHandler"/>) innermost in each handler chain.
    /// </summary>
    public static IServiceCollection AddUpstreamBudget(this IServiceCollection services)
    {
        services.AddLiveOptions<RateLimitOptions>(RateLimitOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new UpstreamBudget(
            sp.GetRequiredService<LiveOptions<RateLimitOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<UpstreamBudget>>()));
        return services;
    }
}
