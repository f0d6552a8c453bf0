using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StChat.Feeds;
using StChat.Messaging;

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
        builder.Services.AddStChatNats();
        if (builder.Configuration["Nats:Name"] is null)
        {
            builder.Configuration.AddInMemoryCollection([new("Nats:Name", "stchat-feeds")]);
        }

        arguments = arguments with { Rate = arguments.Rate ?? builder.Configuration.GetValue("Feeds:Rate", FeedsArguments.DefaultRate) };
        using var host = builder.Build();

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

        try
        {
            // Validates the Nats section and connects, failing on settings only a person can fix.
            await host.StartAsync(cts.Token);
            await new FeedSimulator(host.Services.GetRequiredService<NatsConnection>(), arguments, Console.Out).RunAsync(cts.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"feeds: invalid configuration: {string.Join(" ", e.Failures)}");
            return 1;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"feeds: {e.Message}");
            return 1;
        }
        catch (NatsException e)
        {
            await Console.Error.WriteLineAsync($"feeds: publishing failed: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // A publish gives up after the command timeout while the connection is down.
            await Console.Error.WriteLineAsync("feeds: publishing failed: the NATS connection stayed down for longer than the command timeout");
            return 1;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
