using BenchmarkDotNet.Running;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/SmartLead.Gateway.Benchmarks -- --filter '*LeadPayload*'</c>;
/// without arguments BenchmarkDotNet asks which benchmarks to run. Not named Program: the gateway's public
/// Program class is referenced here too.
/// </summary>
internal static class BenchmarkProgram
{
    public static void Main(string[] args)
    {
        if (args is ["--log-cpu"])
        {
            RequestLogPipelineBenchmarks.PrintCpuPerEvent(Console.Out);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
    }
}
