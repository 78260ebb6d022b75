using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SmartLead.Gateway.DevelopmentSandbox;

internal static class DevelopmentSandboxExtensions
{
    /// <summary>
    /// In Development with <c>Sandbox:Enabled</c> true, hosts the in-memory SmartLead on <c>Sandbox:Url</c> for the
    /// gateway's lifetime, so <c>dotnet run</c> works with no SmartLead account. In any other environment it
    /// registers nothing at all, whatever the settings say: production must never answer with fake data.
    /// </summary>
    public static WebApplicationBuilder AddDevelopmentSandbox(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        if (!builder.Environment.IsDevelopment())
        {
            return builder;
        }

        // The settings are read when the host is built, not now: sources added later (a test host's overrides,
        // the command line) must count for Sandbox:Enabled and Sandbox:Url too.
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = new DevelopmentSandboxOptions();
            configuration.GetSection(DevelopmentSandboxOptions.SectionName).Bind(options);
            return new DevelopmentSandboxHost(
                options,
                configuration,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<DevelopmentSandboxHost>>());
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DevelopmentSandboxHost>());
        return builder;
    }
}
