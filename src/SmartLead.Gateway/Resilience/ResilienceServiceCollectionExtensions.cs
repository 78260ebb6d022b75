using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Resilience;

internal static class ResilienceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>Retry</c> and <c>CircuitBreaker</c> settings (validated at start, hot-reloaded), the shared
    /// pipeline and <see cref="ResilienceHandlers"/>, from which the forwarder client factory takes new handlers.
    /// </summary>
    public static IServiceCollection AddGatewayResilience(this IServiceCollection services)
    {
        services.AddLiveOptions<RetryOptions>(RetryOptions.SectionName);
        services.AddSingleton<IValidateOptions<RetryOptions>, RetryOptionsValidator>();
        services.AddLiveOptions<CircuitBreakerOptions>(CircuitBreakerOptions.SectionName);
        services.AddSingleton<IValidateOptions<CircuitBreakerOptions>, CircuitBreakerOptionsValidator>();

        // The attempt timeout is SmartLead:Timeout; forwarding normally registers it, but resilience must not
        // depend on the order of the Add calls in Program.cs.
        if (!services.Any(d => d.ServiceType == typeof(LiveOptions<SmartLeadOptions>)))
        {
            services.AddLiveOptions<SmartLeadOptions>(SmartLeadOptions.SectionName);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<UpstreamResiliencePipeline>();
        services.TryAddSingleton<ResilienceHandlers>();
        return services;
    }
}
