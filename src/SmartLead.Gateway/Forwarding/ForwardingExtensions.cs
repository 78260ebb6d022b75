using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SmartLead.Gateway.Forwarding;

internal static class ForwardingExtensions
{
    /// <summary>YARP, configured from <see cref="SmartLeadOptions"/>, with the gateway's transforms and handler chain.</summary>
    public static IServiceCollection AddGatewayForwarding(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<SmartLeadOptions>, SmartLeadOptionsValidator>();
        services.AddLiveOptions<SmartLeadOptions>(SmartLeadOptions.SectionName);
        services.AddSingleton<IStartupSettingsCheck, KeyLoadedCheck>();
        services.AddReverseProxy();
        DeclineRequestAuthorization(services);
        DeclineKeyRingAtStart(services);
        services.AddSingleton<IProxyConfigProvider, SmartLeadProxyConfigProvider>();
        services.AddSingleton<ITransformProvider, GatewayTransforms>();
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, GatewayForwarderHttpClientFactory>());
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(RequestHeadLimitsMiddleware.RaiseKestrelLimits);
        return services;
    }

    /// <summary>
    /// <c>AddReverseProxy</c> registers ASP.NET's authorization for YARP's per-route policies, which the gateway never
    /// sets (client keys are ClientIdentityMiddleware's). Registered, its handler provider makes WebApplication put an
    /// <c>AuthorizationMiddleware</c> in front of every request: nothing to authorize, yet each request carries its
    /// async frame and the <c>Items</c> dictionary it fills for as long as it runs, about 0.4 KB of every request
    /// waiting for the budget. The evaluating services go with the provider they need; the policy provider YARP's
    /// config validation asks stays. An endpoint that ever asks for authorization then fails loudly at its first
    /// request (no middleware to check it) rather than going unchecked.
    /// </summary>
    private static void DeclineRequestAuthorization(IServiceCollection services)
    {
        services.RemoveAll<Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider>();
        services.RemoveAll<Microsoft.AspNetCore.Authorization.IAuthorizationService>();
        services.RemoveAll<Microsoft.AspNetCore.Authorization.Policy.IPolicyEvaluator>();
    }

    /// <summary>
    /// <c>AddReverseProxy</c> also registers ASP.NET's data protection, for the session-affinity cookies of YARP's
    /// clusters, which the gateway never configures. Its hosted service would make and store a key ring at every start:
    /// an XML key file under the home directory (one a read-only container may not have, with two warnings in the log),
    /// the XML and crypto code behind it, about 4.5 MB of an idle gateway's memory. Without the hosted service the
    /// services stay registered and the key ring would load on first use, which never comes.
    /// </summary>
    private static void DeclineKeyRingAtStart(IServiceCollection services)
    {
        var keyRingAtStart = services.Where(descriptor => descriptor.ServiceType == typeof(IHostedService)
            && descriptor.ImplementationType?.FullName == DataProtectionHostedService).ToList();
        foreach (var descriptor in keyRingAtStart)
        {
            services.Remove(descriptor);
        }
    }

    /// <summary>Internal to ASP.NET Core, so named rather than typed; a test fails if the name ever stops matching.</summary>
    internal const string DataProtectionHostedService = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// Request lines and headers past Kestrel's usual limits answer 414/431 in the envelope (Kestrel's own limits are
    /// raised so that it is the gateway that answers). For every request, before any endpoint.
    /// </summary>
    public static WebApplication UseRequestHeadLimits(this WebApplication app)
    {
        app.UseMiddleware<RequestHeadLimitsMiddleware>();
        return app;
    }

    /// <summary>
    /// <c>CONNECT</c> and <c>Upgrade</c> refused, <c>Range</c> and <c>If-Range</c> dropped: nothing may tunnel past
    /// the gateway or reassemble an answer from slices. For every request: a <c>CONNECT</c> target is not a path and
    /// would never reach the <c>/api/**</c> route.
    /// </summary>
    public static WebApplication UseTunnelRefusal(this WebApplication app)
    {
        app.UseMiddleware<TunnelRefusalMiddleware>();
        return app;
    }

    /// <summary>
    /// <c>/api/**</c> goes to SmartLead through YARP's proxy pipeline, whose stages <paramref name="pipeline"/> lists in
    /// request order; YARP's transforms (<see cref="GatewayTransforms"/>) and its forwarder, with the per-attempt
    /// <see cref="UpstreamChain"/>, come after them. Everything else that no endpoint claims answers 404 in the envelope.
    /// </summary>
    public static WebApplication MapGatewayProxy(this WebApplication app, Action<IReverseProxyApplicationBuilder> pipeline)
    {
        app.MapReverseProxy(pipeline);
        app.MapFallback(context => GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, GatewayError.NotFound,
            $"No such endpoint: {context.Request.Method} {context.Request.Path}. The gateway forwards /api/** to SmartLead."));
        return app;
    }

    /// <summary>
    /// The gateway's envelope for YARP's bare errors (no answer could be relayed) and <c>X-Gateway-Attempts</c> on
    /// every answer. Outermost in the proxy pipeline, so it sees the outcome of every stage after it.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseForwarderErrors(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<ForwarderErrorMiddleware>();
        return proxy;
    }

    /// <summary>The gateway's and the client's keys scrubbed from every answer's body.</summary>
    public static IReverseProxyApplicationBuilder UseKeyScrubbing(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<KeyScrubbingMiddleware>();
        return proxy;
    }

    /// <summary>Paths and headers the gateway cannot forward exactly as sent: 400, never forwarded.</summary>
    public static IReverseProxyApplicationBuilder UseForwardableRequests(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<ForwardableRequestMiddleware>();
        return proxy;
    }
}
