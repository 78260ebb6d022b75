using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Forwarding;

/// <summary>What YARP's registration brings along and the gateway declines.</summary>
public sealed class ProxyServicesTests
{
    [Fact]
    public async Task Services_ProxyRegistered_NoAuthorizationHandlersSoNoAuthorizationMiddlewareRunsPerRequest()
    {
        // WebApplication adds an AuthorizationMiddleware to every request exactly when this service is registered.
        await using var upstream = await ScriptedUpstream.StartAsync(async (_, context) => await context.Response.WriteAsync("{}"));
        await using var gateway = new GatewayFactory(upstream.Url);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(gateway.Services.GetService<IAuthorizationHandlerProvider>());
    }
}
