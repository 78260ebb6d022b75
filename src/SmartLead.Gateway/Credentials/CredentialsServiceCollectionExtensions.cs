using Microsoft.Extensions.DependencyInjection.Extensions;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Credentials;

internal static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// The key store (loads the key at start, follows the key file and <c>SmartLead:ApiKey</c> reloads, counts
    /// rotations). The key reaches requests through <see cref="ApiKeyInjectionHandler"/>, innermost in the
    /// forwarder's chain, and leaves answers through the gateway's key scrubbing.
    /// </summary>
    public static IServiceCollection AddGatewayCredentials(this IServiceCollection services)
    {
        services.AddGatewayMetrics();

        // The redactor learns every key the store loads, so log redaction follows rotations; registered here too so
        // the key store stands without the logging feature (as the chain's tests build it).
        services.TryAddSingleton<SecretRedactor>();
        services.AddSingleton<ApiKeyStore>();
        services.AddHostedService<ApiKeyStoreStarter>();
        return services;
    }

    /// <summary>Creates the store when the host starts, so the key is loaded (and its fingerprint logged) before traffic.</summary>
    private sealed class ApiKeyStoreStarter(ApiKeyStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(store);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
