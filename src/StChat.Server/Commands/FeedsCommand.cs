using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Feeds;
using StChat.Ingest;
using StChat.Nats;

namespace StChat.Server.Commands;

internal static class FeedsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help" or "-h" or "help"])
        {
            Console.WriteLine(FeedsArguments.Usage);
            return 0;
        }

        if (!FeedsArguments.TryParse(args, out var arguments, out var error))
        {
            await Console.Error.WriteLineAsync($"feeds: {error}");
            await Console.Error.WriteLineAsync(FeedsArguments.Usage);
            return 2;
        }

        var configurationArgs = arguments.ConfigurationArgs.ToArray();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = configurationArgs })
            .ConfigureStChat(configurationArgs);
        string url;
        try
        {
            url = NatsUrl.Get(builder.Configuration);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"feeds: {e.Message}");
            return 1;
        }

        arguments = arguments with { Rate = arguments.Rate ?? builder.Configuration.GetValue("Feeds:Rate", FeedsArguments.DefaultRate) };
        using var host = builder.Build();
        var loggerFactory = host.Services.GetRequiredService<ILoggerFactory>();

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cts.Cancel();
        });

        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "stchat-feeds", LoggerFactory = loggerFactory });
        try
        {
            await new FeedSimulator(connection, arguments, Console.Out).RunAsync(cts.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return 0;
        }
        catch (NatsException e)
        {
            await Console.Error.WriteLineAsync($"feeds: publishing failed: {e.Message}");
            return 1;
        }
    }
}
