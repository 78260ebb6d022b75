namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Cuts one upstream attempt at <c>SmartLead:Timeout</c>. It sits innermost, inside the budget, so the clock starts
/// when the request actually leaves for SmartLead: a request that waited in the budget's queue still gets the whole
/// timeout. A cut attempt throws Polly's <c>TimeoutRejectedException</c>, which the retry and breaker above treat as
/// a timed-out attempt.
/// </summary>
internal sealed class AttemptTimeoutHandler(UpstreamResiliencePipeline pipeline) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        await pipeline.Current.AttemptTimeout.ExecuteAsync(
            static (state, token) => new ValueTask<HttpResponseMessage>(state.Handler.SendInnerAsync(state.Request, token)),
            (Handler: this, Request: request),
            cancellationToken);

    private Task<HttpResponseMessage> SendInnerAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
