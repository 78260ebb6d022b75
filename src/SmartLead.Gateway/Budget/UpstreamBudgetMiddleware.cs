using Microsoft.Extensions.Primitives;
using Polly.CircuitBreaker;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Resilience;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The last step before the forwarder: a request waits for its first permit here, before YARP builds the upstream
/// message and Polly starts its attempts, so a request parked in the budget's queue holds only its connection and
/// what the steps before this one made (a few KB less each, with thousands waiting). The first attempt spends the
/// permit (<see cref="PrepaidPermit"/>); a retry waits for its own in the <see cref="BudgetHandler"/>, as does every
/// request while the circuit is not closed, so the breaker keeps refusing those at once, without a wait or a permit.
/// A request with a body not read yet waits in the handler too, after the chain has read its body: a body over the
/// limit is refused (413) before it costs a permit or a wait, and a slow upload never holds a permit. A refusal is
/// the same 429 the handler gives; a permit no attempt took (the request was refused further on, or the caller left)
/// goes back whole, since nothing was sent on it.
/// </summary>
internal sealed class UpstreamBudgetMiddleware(RequestDelegate next, UpstreamBudget budget, UpstreamResiliencePipeline resilience)
{
    public Task InvokeAsync(HttpContext context) =>
        budget.IsEnabled && resilience.CircuitState == CircuitState.Closed && !HasUnreadBody(context)
            ? WaitThenForwardAsync(context)
            : next(context);

    /// <summary>A body the chain still has to read (a lead import's was read and checked already).</summary>
    private static bool HasUnreadBody(HttpContext context) =>
        (context.Request.ContentLength > 0 || !StringValues.IsNullOrEmpty(context.Request.Headers.TransferEncoding))
        && context.Features.Get<BufferedRequestBody>() is null;

    private async Task WaitThenForwardAsync(HttpContext context)
    {
        var time = budget.TimeProvider;
        var started = time.GetTimestamp();
        System.Threading.RateLimiting.RateLimitLease lease;
        try
        {
            lease = await budget.AcquireAsync(BudgetTicket.For(context.Features.Get<ClientIdentity>()), context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller left while waiting: nothing to answer, nothing spent (the log says 499).
            return;
        }
        finally
        {
            context.Features.Get<RequestLogFeature>()?.RecordQueueWait(time.GetElapsedTime(started));
        }

        if (!lease.IsAcquired)
        {
            var refusal = BudgetHandler.Refusal(lease);
            lease.Dispose();
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await GatewayError.WriteAsync(context, refusal);
            }

            return;
        }

        var prepaid = new PrepaidPermit(lease);
        context.Features.Set(prepaid);
        try
        {
            await next(context);
        }
        finally
        {
            if (prepaid.Take() is { } untaken)
            {
                // No attempt went out on it: give it back whole rather than count a request SmartLead never saw.
                (untaken as BudgetLease)?.Return();
                untaken.Dispose();
            }
        }
    }
}
