using System.Threading.RateLimiting;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The permit a request was granted before it entered the forwarder (<see cref="UpstreamBudgetMiddleware"/>): the
/// first attempt that reaches the <see cref="BudgetHandler"/> takes it instead of waiting again. It lives in
/// <c>HttpContext.Features</c>, which the handler chain reads through <see cref="Forwarding.ForwardedFeatures"/>.
/// </summary>
internal sealed class PrepaidPermit(RateLimitLease lease)
{
    private RateLimitLease? _lease = lease;

    /// <summary>The lease, to the first caller only; null once taken.</summary>
    public RateLimitLease? Take() => Interlocked.Exchange(ref _lease, null);

    /// <summary>The permit of the request this upstream message was made for, if it was granted one in advance.</summary>
    public static PrepaidPermit? From(HttpRequestMessage request) => Forwarding.ForwardedFeatures.Get<PrepaidPermit>(request);
}
