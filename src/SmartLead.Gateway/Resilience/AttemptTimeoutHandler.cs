using Polly.Timeout;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// One upstream attempt: the place where a request, its permit granted, leaves for SmartLead. Cuts it at
/// <c>SmartLead:Timeout</c>, counting from here, so a request that waited in the budget's queue still gets the whole
/// timeout. A cut attempt throws Polly's <c>TimeoutRejectedException</c>, which the retry and breaker above treat as
/// a timed-out attempt. Every attempt is counted here (request log, <c>X-Gateway-Attempts</c>, metrics): a request
/// the budget or the breaker refused made none.
/// </summary>
internal sealed class AttemptTimeoutHandler(UpstreamResiliencePipeline pipeline, GatewayMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestLogFeature.From(request)?.RecordAttempt();
        try
        {
            var response = await pipeline.Current.AttemptTimeout.ExecuteAsync(
                static (state, token) => new ValueTask<HttpResponseMessage>(state.Handler.SendInnerAsync(state.Request, token)),
                (Handler: this, Request: request),
                cancellationToken);
            metrics.UpstreamAttempt(GatewayMetrics.StatusLabel((int)response.StatusCode));
            return response;
        }
        catch (TimeoutRejectedException)
        {
            metrics.UpstreamAttempt("timeout");
            throw;
        }
        catch
        {
            metrics.UpstreamAttempt("error");
            throw;
        }
    }

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
