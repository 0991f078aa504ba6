// placeholder: filled by issue 21
Page({ data: {} })
