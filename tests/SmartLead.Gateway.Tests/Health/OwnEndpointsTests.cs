using System.Reflection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Health;

/// <summary>How the gateway's own endpoints are built.</summary>
public sealed class OwnEndpointsTests
{
    [Fact]
    public async Task OwnEndpoints_Mapped_AreRequestDelegatesThatNeedNoRequestDelegateFactory()
    {
        // A handler the request delegate factory compiles carries its MethodInfo as endpoint metadata; a plain
        // RequestDelegate does not. The factory would load System.Linq.Expressions into every gateway at start.
        await using var gateway = new GatewayFactory("http://127.0.0.1:9"); // never called: no request goes to SmartLead
        using var client = gateway.CreateClient();
        using var _ = await client.GetAsync(new Uri("/healthz", UriKind.Relative)); // the host is built on first use

        var endpoints = gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .ToDictionary(endpoint => endpoint.RoutePattern.RawText ?? "", endpoint => endpoint);

        foreach (var pattern in new[] { "/healthz", "/readyz", "/", "/status", "/status.json" })
        {
            Assert.True(endpoints.TryGetValue(pattern, out var endpoint), $"{pattern} is not mapped");
            Assert.True(endpoint.Metadata.GetMetadata<MethodInfo>() is null, $"{pattern} is compiled by the request delegate factory");
        }
    }
}
