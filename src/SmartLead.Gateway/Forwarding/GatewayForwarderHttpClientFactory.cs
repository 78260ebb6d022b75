using Yarp.ReverseProxy.Forwarder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The HTTP client YARP forwards with: YARP's sockets handler under the gateway's <see cref="UpstreamChain"/>. YARP
/// has no retries or rate limiting of its own, and asks again whenever the cluster's client settings change.
/// </summary>
internal sealed class GatewayForwarderHttpClientFactory(IServiceProvider services) : ForwarderHttpClientFactory
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        UpstreamChain.Create(services, handler);
}
