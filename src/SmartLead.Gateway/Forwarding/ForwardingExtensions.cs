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
        services.AddReverseProxy();
        services.AddSingleton<IProxyConfigProvider, SmartLeadProxyConfigProvider>();
        services.AddSingleton<ITransformProvider, GatewayTransforms>();
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, GatewayForwarderHttpClientFactory>());
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(RequestHeadLimitsMiddleware.RaiseKestrelLimits);
        return services;
    }

    /// <summary>
    /// <c>/api/**</c> goes to SmartLead through YARP's proxy pipeline, in which <paramref name="configurePipeline"/>
    /// adds the per-request checks (lead payloads…); everything else that no endpoint claims answers 404 in the envelope.
    /// </summary>
    public static WebApplication MapGatewayProxy(this WebApplication app, Action<IReverseProxyApplicationBuilder>? configurePipeline = null)
    {
        app.UseMiddleware<RequestHeadLimitsMiddleware>();
        app.UseMiddleware<TunnelRefusalMiddleware>();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ForwarderErrorMiddleware>();
            proxy.UseMiddleware<KeyScrubbingMiddleware>();
            configurePipeline?.Invoke(proxy);
        });
        app.MapFallback(context => GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, GatewayError.NotFound,
            $"No such endpoint: {context.Request.Method} {context.Request.Path}. The gateway forwards /api/** to SmartLead."));
        return app;
    }
}
