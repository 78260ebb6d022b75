using System.Threading.RateLimiting;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The budget's stage of the forwarder chain: every attempt (retries too) spends one permit of the
/// <see cref="UpstreamBudget"/> before it goes, and every answer is read for SmartLead's "key spent" signals. The
/// first attempt spends the permit its request was granted before forwarding (<see cref="PrepaidPermit"/>), when
/// <see cref="UpstreamBudgetMiddleware"/> ran; any other attempt waits for one here.
/// Create one per handler chain (<c>ActivatorUtilities.CreateInstance&lt;BudgetHandler&gt;(services)</c>,
/// <see cref="UpstreamBudget.CreateHandler"/> or this constructor); with <c>RateLimit:Enabled=false</c> it passes
/// straight through. A refusal throws <see cref="GatewayRejectedException"/> (429 with Retry-After); a caller who
/// gives up while waiting gets <see cref="OperationCanceledException"/> and spends nothing.
/// </summary>
internal sealed class BudgetHandler : DelegatingHandler
{
    private readonly UpstreamBudget _budget;

    public BudgetHandler(UpstreamBudget budget) => _budget = budget;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A permit granted before the forwarder is spent here even if a reload switched the budget off since: the
        // request goes to SmartLead, so giving the permit back would make the ledger forget a request it saw.
        var lease = PrepaidPermit.From(request)?.Take();
        if (lease is null && !_budget.IsEnabled)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var ticket = BudgetTicket.For(ClientIdentity.From(request));
        var time = _budget.TimeProvider;
        lease ??= await WaitForPermitAsync(request, ticket, cancellationToken);

        // Held until the attempt is over: the windows count the permit from its grant until a window after that.
        using (lease)
        {
            if (!lease.IsAcquired)
            {
                throw Refusal(lease);
            }

            if (cancellationToken.IsCancellationRequested && lease is BudgetLease granted)
            {
                // The caller left between the grant and the send: nothing goes to SmartLead, so nothing is spent.
                granted.Return();
                cancellationToken.ThrowIfCancellationRequested();
            }

            _budget.RecordPermit(ticket.Name);

            var response = await base.SendAsync(request, cancellationToken);
            UpstreamPause? pause;
            try
            {
                pause = await UpstreamSignals.ReadPauseAsync(response, time.GetUtcNow(), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // SmartLead has answered: an unreadable hint must never cost the client that answer.
                pause = null;
            }
            catch
            {
                response.Dispose();
                throw;
            }

            if (pause is { } p)
            {
                _budget.PauseFor(p.Delay, p.Reason);
            }

            return response;
        }
    }

    /// <summary>The 429 a refused lease means, with the wait it names (or the default pause) as Retry-After.</summary>
    public static GatewayRejectedException Refusal(RateLimitLease refused) => new(
        StatusCodes.Status429TooManyRequests,
        GatewayError.RateLimitExceeded,
        "Too many requests for the SmartLead API budget. Please retry later.",
        refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : UpstreamSignals.UnnamedPause);

    private async ValueTask<RateLimitLease> WaitForPermitAsync(HttpRequestMessage request, BudgetTicket ticket, CancellationToken cancellationToken)
    {
        var time = _budget.TimeProvider;
        var started = time.GetTimestamp();
        try
        {
            return await _budget.AcquireAsync(ticket, cancellationToken);
        }
        finally
        {
            RequestLogFeature.From(request)?.RecordQueueWait(time.GetElapsedTime(started));
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        // A synchronous send would have to block a thread for the whole wait; the forwarder only sends async.
        throw new NotSupportedException("The upstream budget handler only sends asynchronously.");
}
