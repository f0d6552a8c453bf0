using StChat.Catalogue;
using StChat.Chat;

namespace StChat.Server.Commands;

internal static class ChatCommand
{
    public static Task<int> RunAsync(string[] args) =>
        WebHostCommand.RunAsync("chat", args, (services, configuration) =>
        {
            services.AddStChatChat(configuration);

            // The catalogue follows the ingest consumer over NATS: on by default when the chat bus is NATS already.
            if (configuration.IsCatalogueEnabled(byDefault: configuration[$"{ChatOptions.SectionName}:Bus"] == ChatOptions.NatsBus))
            {
                services.AddStChatCatalogue(configuration);
            }
        });
}
