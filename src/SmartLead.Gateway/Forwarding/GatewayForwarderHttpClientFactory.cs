using System.Net.Http;
using SmartLead.Gateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The HTTP client YARP forwards with: YARP's sockets handler under the gateway's <see cref="UpstreamChain"/>. YARP
/// has no retries or rate limiting of its own, and asks again whenever the cluster's client settings change.
/// </summary>
/// <remarks>
/// Without an OTLP exporter no span is read (<see cref="TraceContextOnly"/>), so the sockets handler gets no activity
/// propagator: with one, it would start a child activity on every attempt just to write its id into
/// <c>traceparent</c>. <see cref="GatewayTransforms"/> writes the request's own trace context there instead.
/// </remarks>
internal sealed class GatewayForwarderHttpClientFactory(IServiceProvider services) : ForwarderHttpClientFactory
{
    private readonly bool _exportsSpans = services.GetService<OtlpExport>()?.Enabled ?? true;

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (!_exportsSpans)
        {
            handler.ActivityHeadersPropagator = null;
        }
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        UpstreamChain.Create(services, handler);
}
