using StChat.Server.Commands;

return args is [var command, .. var rest]
    ? command switch
    {
        "migrate" => await MigrateCommand.RunAsync(rest),
        "ingest" => await IngestCommand.RunAsync(rest),
        "feeds" => await FeedsCommand.RunAsync(rest),
        "chat" => await ChatCommand.RunAsync(rest),
        "serve" => await ServeCommand.RunAsync(rest),
        "help" or "--help" or "-h" => Usage.Print(Console.Out, 0),
        _ => Usage.Print(Console.Error, 2, $"Unknown command '{command}'."),
    }
    : Usage.Print(Console.Error, 2);
