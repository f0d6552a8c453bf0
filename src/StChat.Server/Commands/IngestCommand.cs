using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Ingest;

namespace StChat.Server.Commands;

internal static class IngestCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args }).ConfigureStChat(args);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = HostRunner.ShutdownTimeout);
        try
        {
            builder.Services.AddStChatIngest(builder.Configuration);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"ingest: {e.Message}");
            return 1;
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Ingest");

        // SIGINT and SIGTERM stop the host; the worker finishes or gives back its batch and the exit code is 0.
        return await HostRunner.RunAsync(host, logger);
    }
}
