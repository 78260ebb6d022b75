using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Sandbox.Endpoints;
using SmartLead.Sandbox.Faults;
using SmartLead.Sandbox.Limits;
using SmartLead.Sandbox.Recording;
using SmartLead.Sandbox.Store;

namespace SmartLead.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the sandbox's account data, key check, limits and faults, with <see cref="SandboxOptions"/>
    /// validated at start. Uses the registered <see cref="TimeProvider"/>, or the system clock when none is.
    /// Pair with <see cref="SandboxEndpointRouteBuilderExtensions.MapSmartLeadSandbox"/>.
    /// </summary>
    public static IServiceCollection AddSmartLeadSandbox(
        this IServiceCollection services, Action<SandboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptions<SandboxOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.AddRouting();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SandboxStore>();
        services.TryAddSingleton<KeyRateLimiter>();
        services.TryAddSingleton<FaultInjector>();
        services.TryAddSingleton<SandboxApiKeys>();
        services.TryAddSingleton<SandboxRequestLog>();
        return services;
    }
}
