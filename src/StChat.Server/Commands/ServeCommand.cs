using StChat.Catalogue;
using StChat.Chat;
using StChat.Ingest;

namespace StChat.Server.Commands;

// Ingest and chat in one process, sharing the PostgreSQL data source and the start-up migration: what `./stchat up`
// runs. Deployments that scale them apart use `ingest` and `chat`.
internal static class ServeCommand
{
    public static Task<int> RunAsync(string[] args) =>
        WebHostCommand.RunAsync("serve", args, (services, configuration) =>
        {
            // Each feature registers the shared storage first, so the migration service is the first hosted service
            // and the schema exists before the ingest worker and the chat log writer start.
            services.AddStChatIngest(configuration);
            services.AddStChatChat(configuration);
            if (configuration.IsCatalogueEnabled(byDefault: true))
            {
                services.AddStChatCatalogue(configuration);
            }
        });
}
