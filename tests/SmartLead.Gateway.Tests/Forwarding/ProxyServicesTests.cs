using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Forwarding;

/// <summary>What YARP's registration brings along and the gateway declines.</summary>
public sealed class ProxyServicesTests
{
    [Fact]
    public Task Services_ProxyRegistered_NoAuthorizationHandlersSoNoAuthorizationMiddlewareRunsPerRequest() =>
        // WebApplication adds an AuthorizationMiddleware to every request exactly when this service is registered.
        AfterOneForwardedRequestAsync(services => Assert.Null(services.GetService<IAuthorizationHandlerProvider>()));

    [Fact]
    public void Services_ReverseProxyAlone_RegistersTheKeyRingHostedServiceUnderTheNameDeclined()
    {
        // The hosted service the gateway declines, found by the name it declines it by: if ASP.NET renames it, this
        // fails rather than the gateway silently making a key ring again at every start.
        var services = new ServiceCollection();
        services.AddReverseProxy();

        Assert.Contains(services, descriptor => descriptor.ServiceType == typeof(IHostedService)
            && descriptor.ImplementationType?.FullName == ForwardingExtensions.DataProtectionHostedService);
    }

    [Fact]
    public Task Services_GatewayStarted_NoKeyRingMadeAtStartYetDataProtectionStaysResolvable() =>
        AfterOneForwardedRequestAsync(services =>
        {
            Assert.DoesNotContain(services.GetServices<IHostedService>(),
                service => service.GetType().FullName == ForwardingExtensions.DataProtectionHostedService);
            Assert.NotNull(services.GetService<IDataProtectionProvider>());
        });

    private static async Task AfterOneForwardedRequestAsync(Action<IServiceProvider> assertServices)
    {
        await using var upstream = await ScriptedUpstream.StartAsync(async (_, context) => await context.Response.WriteAsync("{}"));
        await using var gateway = new GatewayFactory(upstream.Url);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        assertServices(gateway.Services);
    }
}
