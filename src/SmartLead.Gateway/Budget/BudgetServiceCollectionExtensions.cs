using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Budget;

internal static class BudgetServiceCollectionExtensions
{
    /// <summary>The connection string (<c>ConnectionStrings:Redis</c>) of the shared store.</summary>
    public const string RedisConnectionName = "Redis";

    /// <summary>
    /// Registers the upstream budget: <see cref="RateLimitOptions"/> (section <c>RateLimit</c>, validated at start,
    /// followed on reload), the ledger chosen by <c>RateLimit:Store</c> at start, and the singleton
    /// <see cref="UpstreamBudget"/>, also as <see cref="IBudgetStatusSource"/>. Each forwarder handler chain gets a
    /// fresh <see cref="BudgetHandler"/> around the shared budget.
    /// </summary>
    public static IServiceCollection AddUpstreamBudget(this IServiceCollection services)
    {
        services.AddLiveOptions<RateLimitOptions>(RateLimitOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddGatewayMetrics();
        services.TryAddSingleton(CreateBudget);
        services.TryAddSingleton<IBudgetStatusSource>(sp => sp.GetRequiredService<UpstreamBudget>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupSettingsCheck, RedisStoreSettingsCheck>());
        return services;
    }

    /// <summary>
    /// The wait for a request's first permit, last in the proxy pipeline: after every check that can refuse a request
    /// for free, before the forwarder builds anything for it (<see cref="UpstreamBudgetMiddleware"/>).
    /// </summary>
    public static IReverseProxyApplicationBuilder UseUpstreamBudget(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<UpstreamBudgetMiddleware>();
        return proxy;
    }

    private static UpstreamBudget CreateBudget(IServiceProvider services)
    {
        var options = services.GetRequiredService<LiveOptions<RateLimitOptions>>();
        var time = services.GetRequiredService<TimeProvider>();
        var current = options.Current;
        var limits = BudgetPlans.Resolve(current);
        IPermitLedger ledger = current.Store == BudgetStore.Redis
            ? new RedisPermitLedger(
                services.GetRequiredService<IConfiguration>().GetConnectionString(RedisConnectionName)!,
                limits,
                current.ExpectedReplicas,
                time,
                services.GetRequiredService<ILogger<RedisPermitLedger>>())
            : new MemoryPermitLedger(limits, time);
        return new UpstreamBudget(
                current,
                ledger,
                time,
                services.GetRequiredService<ILogger<UpstreamBudget>>(),
                services.GetRequiredService<GatewayMetrics>())
            .Follow(options);
    }
}

/// <summary><c>RateLimit:Store=Redis</c> needs <c>ConnectionStrings:Redis</c>; checked before start with the other settings.</summary>
internal sealed class RedisStoreSettingsCheck : IStartupSettingsCheck
{
    public IReadOnlyList<string> Problems(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var store = configuration[$"{RateLimitOptions.SectionName}:{nameof(RateLimitOptions.Store)}"];
        if (!string.Equals(store, nameof(BudgetStore.Redis), StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var connection = configuration.GetConnectionString(BudgetServiceCollectionExtensions.RedisConnectionName);
        if (string.IsNullOrWhiteSpace(connection))
        {
            return [$"{RateLimitOptions.SectionName}:Store is Redis, but ConnectionStrings:Redis is not set."];
        }

        return ParseProblems(connection);
    }

    // Its own method, not inlined: the JIT loads StackExchange.Redis for the method that names its types, and a
    // gateway counting permits in memory has no use for it (about 1 MB of an idle gateway's memory).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IReadOnlyList<string> ParseProblems(string connection)
    {
        try
        {
            _ = StackExchange.Redis.ConfigurationOptions.Parse(connection);
            return [];
        }
        catch (ArgumentException ex)
        {
            // The parser's words name the option it did not understand; the string itself may hold a password.
            return [$"ConnectionStrings:Redis is not a valid StackExchange.Redis configuration string: {ex.Message.Split(';', 2)[0]}"];
        }
    }
}
