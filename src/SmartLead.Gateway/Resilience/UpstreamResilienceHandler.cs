using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Sends each forwarded request through the shared <see cref="UpstreamResiliencePipeline"/>, so the client sees only
/// the final answer. Sits inside <see cref="RequestBodyBufferingHandler"/> (each attempt re-sends the same
/// <see cref="HttpRequestMessage"/>, whose body must therefore be buffered) and outside the budget handler (one
/// permit per attempt).
/// </summary>
/// <remarks>
/// Failures leave as exceptions the forwarder-error mapper can tell apart: <see cref="GatewayRejectedException"/>
/// (503 while the circuit is open), <see cref="TimeoutException"/> (the last attempt ran out of time; Polly's
/// <see cref="TimeoutRejectedException"/> is its inner exception) and <see cref="HttpRequestException"/> (no answer).
/// </remarks>
internal sealed partial class UpstreamResilienceHandler : DelegatingHandler
{
    // While a probe is in flight Polly does not say how long the circuit stays shut; a second is a fair hint.
    private static readonly TimeSpan HalfOpenRetryAfter = TimeSpan.FromSeconds(1);

    private readonly UpstreamResiliencePipeline _pipeline;
    private readonly ILogger _logger;

    public UpstreamResilienceHandler(UpstreamResiliencePipeline pipeline, ILogger<UpstreamResilienceHandler> logger)
    {
        _pipeline = pipeline;
        _logger = logger;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = _pipeline.Current;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(UpstreamResiliencePipeline.RequestKey, request);
        HttpResponseMessage response;
        try
        {
            // The outcome form: a failed attempt travels as a value, and only the last one is thrown, here.
            var outcome = await snapshot.Pipeline.ExecuteOutcomeAsync(
                static (ctx, state) => AttemptAsync(state.Handler, state.Request, ctx.CancellationToken),
                context,
                (Handler: this, Request: request));
            outcome.ThrowIfException();
            response = outcome.Result!;
            LastAnswer.Take(context)?.Dispose();
        }
        catch (Exception ex) when (ex is GatewayRejectedException or BrokenCircuitException && LastAnswer.Take(context) is { } last)
        {
            // SmartLead answered an earlier attempt; the gateway refused the retry. SmartLead's answer says more.
            Log.RetryRefused(_logger, (int)last.StatusCode);
            response = last;
        }
        catch (BrokenCircuitException ex)
        {
            throw new GatewayRejectedException(
                StatusCodes.Status503ServiceUnavailable,
                GatewayError.UpstreamUnavailable,
                "SmartLead is failing; the gateway stopped forwarding requests for a while.",
                ex.RetryAfter ?? HalfOpenRetryAfter);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new TimeoutException($"SmartLead did not answer within {ex.Timeout}.", ex);
        }
        finally
        {
            LastAnswer.Take(context)?.Dispose();
            ResilienceContextPool.Shared.Return(context);
        }

        AddRetryAfterIfOnlyRateLimitResetAsked(response, snapshot.Classifier.MaxRetryAfter);
        return response;
    }

    private static async ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(
        UpstreamResilienceHandler handler, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Outcome.FromResult(await handler.SendAttemptAsync(request, cancellationToken));
        }
        catch (Exception ex)
        {
            return Outcome.FromException<HttpResponseMessage>(ex);
        }
    }

    private Task<HttpResponseMessage> SendAttemptAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    /// <summary>
    /// A 429 whose wait (known only from <c>X-RateLimit-Reset</c>) is too long to sit out goes back at once; it gets
    /// the <c>Retry-After</c> clients are told to honour, since SmartLead's own answer lacks it.
    /// </summary>
    private void AddRetryAfterIfOnlyRateLimitResetAsked(HttpResponseMessage response, TimeSpan maxRetryAfter)
    {
        if (response.StatusCode != HttpStatusCode.TooManyRequests || response.Headers.RetryAfter is not null)
        {
            return;
        }

        if (RetryAfter.From(response, _pipeline.TimeProvider.GetUtcNow()) is { } wait && wait > maxRetryAfter)
        {
            var seconds = RetryAfter.ToHeaderSeconds(wait);
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
            Log.RetryAfterAdded(_logger, seconds);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6010, Level = LogLevel.Information,
            Message = "SmartLead answered 429 with a reset {Seconds} s away, beyond Retry:MaxRetryAfter; returned at once with Retry-After")]
        public static partial void RetryAfterAdded(ILogger logger, long seconds);

        [LoggerMessage(EventId = 6011, Level = LogLevel.Information,
            Message = "The gateway refused a retry (budget or breaker); the client gets SmartLead's last answer, {Status}")]
        public static partial void RetryRefused(ILogger logger, int status);
    }
}
