using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Clients;

/// <summary>
/// First step of every <c>/api/</c> call: who is calling. With clients configured, a call without a known client key
/// is answered 401 <c>UNAUTHORIZED</c> before anything else can look at it or spend budget. Either way the headers a
/// client key travels in are removed, so no client key ever reaches SmartLead.
/// </summary>
internal sealed class ClientIdentityMiddleware(RequestDelegate next, ClientRegistry registry, GatewayMetrics metrics)
{
    public const string KeyHeader = "X-Gateway-Key";

    /// <summary>The name used for requests of an open gateway (no client configured), in logs and metrics.</summary>
    public const string Anonymous = "anonymous";

    private const string BearerPrefix = "Bearer ";

    private static readonly RegisteredClient AnonymousClient = new(Anonymous, 1, null, null);

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var presented = PresentedKey(headers, out var bearerUsed);
        headers.Remove(KeyHeader);
        if (bearerUsed)
        {
            headers.Remove(HeaderNames.Authorization);
        }

        RegisteredClient client;
        if (registry.IsEnforcing)
        {
            if (registry.Identify(presented) is not { } identified)
            {
                return Refuse(context, presented.IsEmpty);
            }

            client = identified;
        }
        else
        {
            client = AnonymousClient;
        }

        var maxWait = CallerWait.From(headers);
        headers.Remove(CallerWait.MaxWaitHeader);
        var name = client.Name;
        context.Features.Set(maxWait is null ? client.Identity : client.Identity with { MaxWait = maxWait });
        if (context.Features.Get<RequestLogFeature>() is { } log)
        {
            log.Client = name;
        }

        metrics.ClientRequest(name);
        return next(context);
    }

    /// <summary>
    /// The key from <c>X-Gateway-Key</c>, else from <c>Authorization: Bearer</c>. <paramref name="bearerUsed"/> says
    /// whether an Authorization header carries a bearer token, which may be a client key and so never goes upstream
    /// (SmartLead authenticates by its query key only and has no use for it).
    /// </summary>
    private static ReadOnlySpan<char> PresentedKey(IHeaderDictionary headers, out bool bearerUsed)
    {
        var authorization = headers[HeaderNames.Authorization];
        bearerUsed = IsBearer(authorization);

        // One value only: a request carrying two keys is not one the gateway should guess about.
        var gatewayKey = headers[KeyHeader];
        if (gatewayKey.Count > 0)
        {
            return gatewayKey.Count == 1 ? gatewayKey[0].AsSpan().Trim() : ReadOnlySpan<char>.Empty;
        }

        return authorization.Count == 1 && bearerUsed
            ? authorization[0].AsSpan(BearerPrefix.Length).Trim()
            : ReadOnlySpan<char>.Empty;
    }

    private static bool IsBearer(StringValues authorization)
    {
        foreach (var value in authorization)
        {
            if (value is not null && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static Task Refuse(HttpContext context, bool missing)
    {
        // Set as the answer starts: the envelope writer clears whatever headers were set before it.
        context.Response.OnStarting(static state =>
        {
            ((HttpResponse)state).Headers.WWWAuthenticate = "Bearer realm=\"SmartLead.Gateway\"";
            return Task.CompletedTask;
        }, context.Response);
        var message = missing
            ? $"This gateway needs a client key: send it in the {KeyHeader} header or as 'Authorization: Bearer <key>'."
            : "The client key is not known to this gateway.";
        return GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, GatewayError.Unauthorized, message);
    }
}

/// <summary>
/// The calling client, in <c>HttpContext.Features</c> for the steps after identity and, through
/// <see cref="Forwarding.ForwardedFeatures"/>, for the budget in the handler chain, which serves contended clients by
/// their weights.
/// </summary>
/// <param name="Name">A configured client's name, or <see cref="ClientIdentityMiddleware.Anonymous"/> on an open gateway.</param>
/// <param name="Weight">The client's <c>Weight</c> (1 on an open gateway).</param>
/// <param name="QueueLimit">The client's own <c>QueueLimit</c>, if it has one.</param>
/// <param name="MaxShare">The client's <c>MaxShare</c>, if it has one.</param>
/// <param name="MaxWait">How long the caller said it will wait for the budget (<see cref="CallerWait"/>), if it said.</param>
internal sealed record ClientIdentity(string Name, int Weight, int? QueueLimit, double? MaxShare, TimeSpan? MaxWait)
{
    /// <summary>The identity of the request this upstream message was made for, if client identity ran.</summary>
    public static ClientIdentity? From(HttpRequestMessage request) => ForwardedFeatures.Get<ClientIdentity>(request);
}
