using StChat.Server.Commands;

return args is [var command, .. var rest]
    ? command switch
    {
        "migrate" => await MigrateCommand.RunAsync(rest),
        "help" or "--help" or "-h" => Usage.Print(Console.Out, 0),
        _ => Usage.Print(Console.Error, 2, $"Unknown command '{command}'."),
    }
    : Usage.Print(Console.Error, 2);
