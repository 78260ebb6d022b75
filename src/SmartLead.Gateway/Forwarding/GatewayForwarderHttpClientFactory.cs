using Yarp.ReverseProxy.Forwarder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The HTTP client YARP forwards with. YARP has no retries or rate limiting of its own; the gateway adds them as a
/// handler chain around YARP's sockets handler. The order of the upstream path is written here and only here,
/// outermost first.
/// </summary>
internal sealed class GatewayForwarderHttpClientFactory(IServiceProvider services) : ForwarderHttpClientFactory
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        // The key goes on last, just above the sockets (see ApiKeyInjectionHandler).
        var injection = ActivatorUtilities.CreateInstance<Credentials.ApiKeyInjectionHandler>(services);
        injection.InnerHandler = handler;
        handler = injection;

        // YARP asks again whenever the cluster's client settings change: every call builds fresh handler
        // instances (a DelegatingHandler belongs to one chain) around shared state (breaker, budget).
        DelegatingHandler[] outermostFirst =
        [
            .. services.GetServices<IUpstreamHandlerStage>().OrderBy(stage => stage.Order).Select(stage => stage.CreateHandler()),
        ];

        for (var i = outermostFirst.Length - 1; i >= 0; i--)
        {
            outermostFirst[i].InnerHandler = handler;
            handler = outermostFirst[i];
        }

        return handler;
    }
}

/// <summary>
/// One stage of the forwarder's handler chain. Each feature that acts per upstream attempt registers one.
/// </summary>
internal interface IUpstreamHandlerStage
{
    /// <summary>Position in the chain, outermost first; see <see cref="UpstreamStageOrder"/>.</summary>
    int Order { get; }

    /// <summary>A new handler instance; its inner handler is set by the factory.</summary>
    DelegatingHandler CreateHandler();
}

/// <summary>
/// The upstream path, outermost first: buffer the body once, retry around attempts, a permit per attempt, then the
/// attempt's own timeout (started once the permit is granted).
/// </summary>
internal static class UpstreamStageOrder
{
    public const int BodyBuffering = 100;
    public const int Resilience = 200;
    public const int Budget = 300;
    public const int AttemptTimeout = 400;
}
