using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Resilience;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The forwarder's per-attempt handler chain, written once. Production (<see cref="GatewayForwarderHttpClientFactory"/>)
/// and the tests both build it here, so no test exercises a chain production never builds.
/// </summary>
internal static class UpstreamChain
{
    /// <summary>
    /// Fresh handlers (a <see cref="DelegatingHandler"/> belongs to one chain) around shared singletons (breaker,
    /// budget), linked outermost first over <paramref name="sockets"/>; returns the outermost handler.
    /// </summary>
    public static HttpMessageHandler Create(IServiceProvider services, HttpMessageHandler sockets)
    {
        ArgumentNullException.ThrowIfNull(services);
        DelegatingHandler[] outermostFirst =
        [
            // The body, read once within its limit (or taken from the lead check, which read it already), so every
            // attempt below replays the same bytes.
            ActivatorUtilities.CreateInstance<RequestBodyBufferingHandler>(services),

            // One Polly pipeline: retry around the circuit breaker. Everything below runs once per attempt.
            ActivatorUtilities.CreateInstance<UpstreamResilienceHandler>(services),

            // One permit per attempt, retries included (the first attempt spends the one its request was granted before
            // the forwarder, in UpstreamBudgetMiddleware).
            ActivatorUtilities.CreateInstance<BudgetHandler>(services),

            // The attempt's own timeout, started once the permit is granted, so waiting never eats into it.
            ActivatorUtilities.CreateInstance<AttemptTimeoutHandler>(services),

            // Innermost, just above the sockets: the key goes on the URL here, per attempt, after every log line and
            // decision above; compressed answers are decoded here so they can be scrubbed.
            ActivatorUtilities.CreateInstance<ApiKeyInjectionHandler>(services),
        ];

        var inner = sockets;
        for (var i = outermostFirst.Length - 1; i >= 0; i--)
        {
            outermostFirst[i].InnerHandler = inner;
            inner = outermostFirst[i];
        }

        return inner;
    }
}
