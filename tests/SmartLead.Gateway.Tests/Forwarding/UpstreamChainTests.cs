using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Tests.Resilience;

namespace SmartLead.Gateway.Tests.Forwarding;

public sealed class UpstreamChainTests
{
    [Fact]
    public void Create_ProductionServices_LinksTheStagesOutermostFirst()
    {
        using var host = new ResilienceTestHost();
        using var sockets = new SocketsHttpHandler();

        var handler = UpstreamChain.Create(host.Services, sockets);

        var order = new List<Type>();
        for (var current = handler; current is not null; current = (current as DelegatingHandler)?.InnerHandler)
        {
            order.Add(current.GetType());
        }

        Assert.Equal(
            [typeof(RequestBodyBufferingHandler), typeof(UpstreamResilienceHandler), typeof(BudgetHandler), typeof(AttemptTimeoutHandler), typeof(ApiKeyInjectionHandler), typeof(SocketsHttpHandler)],
            order);
    }

    [Fact]
    public void Create_CalledTwice_GivesFreshHandlers()
    {
        using var host = new ResilienceTestHost();
        using var sockets = new SocketsHttpHandler();

        var first = UpstreamChain.Create(host.Services, sockets);
        var second = UpstreamChain.Create(host.Services, sockets);

        Assert.NotSame(first, second);
        Assert.NotSame(((DelegatingHandler)first).InnerHandler, ((DelegatingHandler)second).InnerHandler);
    }
}
