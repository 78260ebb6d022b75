using Polly.Timeout;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// One upstream attempt: the place where a request, its permit granted, leaves for SmartLead. Cuts it at
/// <c>SmartLead:Timeout</c>, counting from here, so a request that waited in the budget's queue still gets the whole
/// timeout. A cut attempt throws Polly's <see cref="TimeoutRejectedException"/>, which the retry and breaker above
/// treat as a timed-out attempt. Every attempt is counted here (request log, <c>X-Gateway-Attempts</c>, metrics): a
/// request the budget or the breaker refused made none.
/// </summary>
/// <remarks>
/// The timeout is a cancellation source of its own on the pipeline's clock, rather than a second Polly pipeline: it
/// is the same cut (Polly's timeout strategy is a timed cancellation too) for one small object per attempt instead of
/// a pipeline execution with its context and three awaited layers, on every request.
/// </remarks>
internal sealed class AttemptTimeoutHandler(UpstreamResiliencePipeline pipeline, GatewayMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestLogFeature.From(request)?.RecordAttempt();
        var timeout = pipeline.Current.AttemptTimeout;
        using var attempt = new CancellationTokenSource(timeout, pipeline.TimeProvider);
        using var callerGaveUp = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), attempt);
        try
        {
            var response = await base.SendAsync(request, attempt.Token);
            metrics.UpstreamAttempt(GatewayMetrics.StatusLabel((int)response.StatusCode));
            return response;
        }
        catch (OperationCanceledException ex) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            metrics.UpstreamAttempt("timeout");
            throw new TimeoutRejectedException($"SmartLead did not answer this attempt within {timeout}.", timeout, ex);
        }
        catch
        {
            metrics.UpstreamAttempt("error");
            throw;
        }
    }
}
