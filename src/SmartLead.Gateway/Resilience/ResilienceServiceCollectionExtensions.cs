using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Resilience;

internal static class ResilienceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>Retry</c> and <c>CircuitBreaker</c> settings (validated at start, hot-reloaded) and the shared
    /// pipeline that the handlers of <see cref="UpstreamChain"/> use. Calling it twice registers nothing more.
    /// </summary>
    public static IServiceCollection AddGatewayResilience(this IServiceCollection services)
    {
        // A second call would bind the options twice, and the binder appends list items (Retry:StatusCodes) twice.
        if (services.Any(d => d.ServiceType == typeof(LiveOptions<RetryOptions>)))
        {
            return services;
        }

        services.AddLiveOptions<RetryOptions>(RetryOptions.SectionName);
        services.AddSingleton<IValidateOptions<RetryOptions>, RetryOptionsValidator>();
        services.AddLiveOptions<CircuitBreakerOptions>(CircuitBreakerOptions.SectionName);
        services.AddSingleton<IValidateOptions<CircuitBreakerOptions>, CircuitBreakerOptionsValidator>();

        // The attempt timeout is SmartLead:Timeout, which forwarding registers too (registering twice is harmless).
        services.AddLiveOptions<SmartLeadOptions>(SmartLeadOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.AddGatewayMetrics();
        services.TryAddSingleton<UpstreamResiliencePipeline>();
        return services;
    }
}
