using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Clients;

/// <summary>The public face of client identity: its services and its place at the head of the proxy pipeline.</summary>
internal static class ClientsExtensions
{
    /// <summary>Registers <see cref="ClientsOptions"/> (section <c>Clients</c>, validated at start, hot-reloaded) and the registry.</summary>
    public static IServiceCollection AddGatewayClients(this IServiceCollection services)
    {
        services.AddLiveOptions<ClientsOptions>(ClientsOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientsOptions>, ClientsOptionsValidator>());
        services.TryAddSingleton<ClientRegistry>();
        services.AddGatewayMetrics();
        services.AddHostedService<OpenGatewayWarning>();
        return services;
    }

    /// <summary>Who is calling; first in the proxy pipeline, so an unknown caller costs nothing.</summary>
    public static IReverseProxyApplicationBuilder UseClientIdentity(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<ClientIdentityMiddleware>();
        return proxy;
    }

    /// <summary>The one warning at start when no client is configured.</summary>
    private sealed class OpenGatewayWarning(ClientRegistry registry) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            registry.WarnIfOpen();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
